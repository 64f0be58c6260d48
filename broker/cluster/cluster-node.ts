import type { Logger } from 'pino'
import type { BridgePlacement } from '../bridge/bridge-placement.js'
import type { RetainedMessages } from '../retained/retained.js'
import type { FilterListener } from '../router/message-router.js'
import type { Router } from '../router/router.js'
import type { PublishBackPressure } from '../session/publish-back-pressure.js'
import type { DeliverySources } from '../store/delivery-sources.js'
import { connectRedis, type RedisClient, type RedisConnection } from '../store/redis-connection.js'
import { parseRedisUrl } from '../store/redis-url.js'
import type { Store } from '../store/store.js'
import { BridgeLeases } from './bridge-leases.js'
import { ClusterKeys, memberOf, newIncarnation, STREAM_GROUP } from './cluster-keys.js'
import { ClusterRouter } from './cluster-router.js'
import type { ClusterSeams, ReleaseRequests, SessionHandovers, StreamRecovery } from './cluster-seams.js'
import { FilterDirectory } from './filter-directory.js'
import { type HandedOver, HandoverRecords } from './handover-records.js'
import { defaultMembershipTiming, type MembershipTiming, NodeMembership } from './node-membership.js'
import { NodeStream } from './node-stream.js'
import { releasedWaitMs, SessionFollower, type SessionHolders } from './session-follower.js'
import { SessionRelay } from './session-relay.js'

/** A cluster node's figures, as its metrics show them. */
export interface ClusterFigures {
  /** Members alive at the last check, this one included. */
  readonly membersAlive: number
  readonly sessionsAdopted: number
  /** Messages read from a stream for this node, and entries appended to other members' streams. */
  readonly relayedIn: number
  readonly relayedOut: number
  readonly connectionErrors: number
  /** Liveness commands Redis failed. */
  readonly commandFailures: number
  /** The last renewal of the liveness key, in seconds; undefined before the first. */
  readonly renewalSeconds: number | undefined
}

/** What makes a broker a cluster node. */
export interface ClusterSettings {
  /** The shared Redis, in any form the Redis store takes (redis-url.ts): one server, Sentinel, or a Redis Cluster. */
  url: string
  nodeId: string
  /** This run's incarnation (cluster-keys.ts); new when not given. The session leases must be held as the same member. */
  incarnation?: string
  /** Put before every key, as the store's keyPrefix (several clusters, or tests, on one Redis). */
  keyPrefix?: string
  /** Liveness timing; tests shorten it. */
  timing?: Partial<MembershipTiming>
}

/**
 * One broker's part in the cluster, composed here so the broker only starts and stops it: membership (liveness,
 * dead nodes, release requests), the filter directory, the node's inbound stream and the cluster router over the
 * broker's own Router. Three Redis connections: commands, pub/sub, and the stream reader (its XREADGROUP blocks).
 * On a Redis Cluster every cluster key is in the one slot of `{cluster}` (cluster-keys.ts), so its scripts, MULTIs
 * and pipelines are one slot's. Notes go on sharded channels (SPUBLISH, SSUBSCRIBE) of that slot too: the master
 * that applies a filter change delivers its note to every node before it answers, as one Redis does, where classic
 * pub/sub would reach nodes subscribed on other shards only later, over the cluster bus.
 */
export class ClusterNode implements StreamRecovery, SessionHandovers, ClusterSeams {
  readonly membership: NodeMembership
  readonly directory: FilterDirectory
  /** This run of the node: `<node id>@<incarnation>`. */
  readonly member: string
  /** Which of the configured bridges run on this node: each on one node of the cluster at a time. */
  readonly bridgePlacement: BridgePlacement
  /** The sessions adopted from each dead member this one recovered: what is redirected from its stream goes to them. */
  private readonly adoptedSessions = new Map<string, ReadonlySet<string>>()
  /** The sessions each dead member this one recovered had let go lately: what is redirected for them goes on to them. */
  private readonly handedOverSessions = new Map<string, HandedOver>()
  private readonly handoverRecords: HandoverRecords
  private readonly relay: SessionRelay
  private readonly bridgeLeases: BridgeLeases
  private readonly follower: SessionFollower
  private readonly stream: NodeStream
  /** The commands connection with what it knows of the topology: whether a replica can be promoted (then WAIT 1). */
  private readonly commandsConnection: RedisConnection
  private readonly commands: RedisClient
  private readonly subscriber: RedisClient
  private readonly reader: RedisClient
  /** The URL with its password masked, for messages. */
  private readonly display: string
  private router: ClusterRouter | undefined
  private readonly keys: ClusterKeys
  /** Errors on the node's Redis connections (ioredis reports each failed reconnection too): for metrics. */
  private connectionErrors = 0
  /** Sessions adopted from dead members: for metrics. */
  private sessionsAdopted = 0
  /** Where sessions record where their deliveries came from (the store), once it exists. */
  private sources: DeliverySources | undefined
  private started = false
  private claiming: Promise<void> | undefined

  constructor(
    readonly settings: ClusterSettings,
    private readonly logger: Logger
  ) {
    const keys = new ClusterKeys(settings.keyPrefix ?? '')
    this.keys = keys
    this.display = parseRedisUrl(settings.url).display
    // Each fails at once while Redis is away (acknowledgements are refused; the stream reader and the liveness timer
    // try again) rather than wait in a client queue, and once started reconnects on its own (the subscriber subscribes
    // again then); an unreachable Redis fails the start instead.
    const connect = (shardedSubscriber = false): RedisConnection =>
      connectRedis(settings.url, { reconnect: () => this.started, shardedSubscriber })
    this.commandsConnection = connect()
    ;[this.commands, this.subscriber, this.reader] = [this.commandsConnection.client, connect(true).client, connect().client]
    for (const connection of [this.commands, this.subscriber, this.reader])
      connection.on('error', () => {
        this.connectionErrors++
      })
    const connections = { commands: this.commands, subscriber: this.subscriber, reader: this.reader }
    const timing = { ...defaultMembershipTiming, ...settings.timing }
    const incarnation = settings.incarnation ?? newIncarnation()
    this.member = memberOf(settings.nodeId, incarnation)
    this.membership = new NodeMembership(settings.nodeId, incarnation, connections, keys, logger, timing)
    this.directory = new FilterDirectory(this.member, connections, keys, logger)
    this.relay = new SessionRelay(this.directory)
    this.follower = new SessionFollower(releasedWaitMs(timing), logger)
    this.handoverRecords = new HandoverRecords(this.commands, keys, this.member)
    this.bridgeLeases = new BridgeLeases(this.commands, keys, this.member, timing)
    this.bridgePlacement = this.bridgeLeases
    const sink = {
      deliverForwarded: (...args: Parameters<ClusterRouter['deliverForwarded']>) => this.router!.deliverForwarded(...args),
      // An entry is acknowledged only while this member is the live run of its node: one found dead (paused past its
      // liveness) may be being drained by its recoverer, and its own deliveries went to sessions it no longer holds.
      durable: () => this.router!.durable().then(() => this.membership.confirmMember()),
      held: () => this.router!.held(),
      holding: () => this.router!.holding(),
      had: (delivered: ReadonlyMap<string, readonly string[]>) => this.router!.had(delivered),
      adoptedFrom: (deadMember: string) => this.adoptedSessions.get(deadMember),
      handedOverFrom: (deadMember: string) => this.handedOverSessions.get(deadMember)
    }
    this.stream = new NodeStream(this.member, connections, keys, sink, logger, () => this.commandsConnection.failsOverToReplicas())
  }

  get nodeId(): string {
    return this.settings.nodeId
  }

  /** Release requests travel on the membership's control channel. */
  get releases(): ReleaseRequests {
    return this.membership
  }

  get streams(): StreamRecovery {
    return this
  }

  get handovers(): SessionHandovers {
    return this
  }

  /** What the broker's Router tells of its filters: to the directory, through the relay, which keeps some longer. */
  get filters(): FilterListener {
    return this.relay
  }

  /** The router the publish pipeline uses: `local` for this node's sessions, the stream for the others. */
  routerOver(
    local: Router,
    retained: Pick<RetainedMessages, 'adopt'>,
    store: Pick<Store, 'flush'>,
    backPressure: PublishBackPressure
  ): ClusterRouter {
    const { member, directory, membership, stream, relay, follower } = this
    this.router = new ClusterRouter(member, local, directory, membership, stream, retained, store, relay, backPressure, follower)
    if (this.sources !== undefined) this.router.recordSources(this.sources)
    return this.router
  }

  /**
   * The store, when it records with each session the stream entry its deliveries came from: a drain then delivers
   * no entry twice (store/delivery-sources.ts). Given before `start`, once the store exists (it is fenced by leases
   * held as this member, so it comes after the node).
   */
  recordDeliverySources(sources: DeliverySources): void {
    this.sources = sources
    this.stream.recordSources(sources)
    this.router?.recordSources(sources)
  }

  /**
   * Where sessions' leases are (session-lease.ts): what comes here for a session that left, after its relay, goes on
   * to its holder (session-follower.ts). Given before `start`, once the leases exist.
   */
  followSessions(holders: SessionHolders): void {
    this.follower.followWith(holders)
  }

  handingOver(clientId: string, filters: readonly string[], toMember: string): Promise<void> {
    this.relay.handingOver(clientId, filters, toMember)
    this.follower.leaving(clientId, filters)
    return this.handoverRecords.record(clientId, filters)
  }

  expecting(clientId: string): void {
    this.router?.expecting(clientId)
  }

  /**
   * What was relayed for the session meanwhile is held until the messages it had before it came are read. A session
   * that did not resume had none: nothing to read, and nothing it gets can be a second copy.
   */
  arrived(clientId: string, resumed: boolean): void {
    const router = this.router
    if (router === undefined) return
    router.arrived(clientId, resumed)
    if (!resumed) {
      router.resume(clientId, [])
      return
    }
    const reading = this.sources?.deliveredMessages([clientId]) ?? Promise.resolve(new Map<string, string[]>())
    reading.then(
      (delivered) => router.resume(clientId, delivered.get(clientId) ?? []),
      (error: unknown) => {
        this.logger.warn({ clientId, err: error }, 'cluster: could not read which messages a session had; giving it what was relayed')
        router.resume(clientId, [])
      }
    )
  }

  /** What the dead node's stream still holds must not repeat what the session gets live now (as for `arrived`). */
  adopted(clientId: string): void {
    this.router?.arrived(clientId, true)
  }

  /**
   * Connects and takes this node's id (NodeMembership.claimId): before the broker restores anything, so a second
   * process under a live node's id touches nothing of that node's (NodeIdTakenError). Once; `start` calls it too.
   */
  claimNodeId(): Promise<void> {
    this.claiming ??= this.connectAndClaim()
    return this.claiming
  }

  /**
   * Its id claimed, then: the stream and its group, the member's registration, and last the filters (a member that
   * hears of them can already name this member, and find it alive).
   */
  async start(): Promise<void> {
    await this.claimNodeId()
    await this.stream.start()
    await this.membership.start()
    await this.directory.start()
    this.logger.info({ node: this.nodeId }, `cluster: node ${this.nodeId} joined through Redis at ${this.display}`)
  }

  private async connectAndClaim(): Promise<void> {
    try {
      await Promise.all([this.commands.connect(), this.subscriber.connect(), this.reader.connect()])
      await this.commandsConnection.learnReplicas()
    } catch (error) {
      this.disconnect()
      throw new Error(`cannot reach Redis at ${this.display}, where the cluster keeps its state: ${(error as Error).message}`)
    }
    this.started = true
    try {
      await this.membership.claimId()
    } catch (error) {
      this.started = false
      this.disconnect()
      throw error
    }
  }

  /** Leaves: liveness first (others stop forwarding and recover its sessions), then the rest. */
  async stop(): Promise<void> {
    if (!this.started) {
      this.disconnect()
      return
    }
    this.bridgeLeases.stop()
    await this.membership.stop()
    this.directory.stop()
    await this.stream.stop()
    // Not QUIT: with Redis away it would wait in the subscriber's offline queue for ever; there is nothing left to send.
    this.disconnect()
  }

  /**
   * Its filters go first, so the other members stop appending to its stream while it is drained (the adopted sessions'
   * own filters were announced before, on the same connection, so no message finds neither). A member is never alive
   * again: a restarted node is a new member with a stream of its own. The sessions it had let go lately and relayed
   * for (handover-records.ts) get what its stream still holds for them, wherever they are now.
   */
  async drain(deadMember: string, clientIds: ReadonlySet<string>): Promise<void> {
    this.adoptedSessions.set(deadMember, clientIds)
    this.sessionsAdopted += clientIds.size
    const handedOver = new Map(await this.handoverRecords.of(deadMember))
    for (const clientId of clientIds) handedOver.delete(clientId) // back with the dead member, and adopted here
    if (handedOver.size > 0) this.handedOverSessions.set(deadMember, handedOver)
    await this.directory.removeMember(deadMember)
    await this.stream.drain(deadMember, clientIds)
    await this.membership.forget(deadMember)
  }

  /** What this node counts, for metrics. */
  figures(): ClusterFigures {
    return {
      membersAlive: this.membership.aliveCount,
      sessionsAdopted: this.sessionsAdopted,
      relayedIn: this.router?.relayed.in ?? 0,
      relayedOut: this.router?.relayed.out ?? 0,
      connectionErrors: this.connectionErrors,
      commandFailures: this.membership.commandFailures,
      renewalSeconds: this.membership.renewalSeconds
    }
  }

  /** Entries of this member's stream read and not yet acknowledged (XPENDING): one Redis round trip. */
  async pendingEntries(): Promise<number> {
    const [count] = (await this.commands.xpending(this.keys.stream(this.member), STREAM_GROUP)) as [number, ...unknown[]]
    return count
  }

  private disconnect(): void {
    for (const connection of [this.commands, this.subscriber, this.reader]) connection.disconnect()
  }
}
