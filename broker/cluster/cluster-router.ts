import { topicMatchesFilter } from '../../common/topic-filter.js'
import type { Message } from '../message.js'
import type { RetainedMessages } from '../retained/retained.js'
import type { MessageRouter, RouteScope } from '../router/message-router.js'
import type { Router } from '../router/router.js'
import type { PublishBackPressure } from '../session/publish-back-pressure.js'
import type { DeliverySources } from '../store/delivery-sources.js'
import type { Store } from '../store/store.js'
import { entryOf } from './entry-of.js'
import type { FilterDirectory } from './filter-directory.js'
import { encodeBody, encodeRecordHead, type ForwardedMessage } from './forwarded-codec.js'
import type { ForwardedSink } from './forwarded-sink.js'
import type { HandedOver } from './handover-records.js'
import type { NodeMembership } from './node-membership.js'
import type { NodeStream } from './node-stream.js'
import { RecoveryOverlap } from './recovery-overlap.js'
import type { SessionFollower } from './session-follower.js'
import type { SessionRelay } from './session-relay.js'

const NO_GROUPS: ReadonlySet<string> = new Set()

/** A relayed message held for a session on its way here, with the member it was published on. */
interface Held {
  readonly message: Message
  readonly publisher: string
}

/**
 * The relayed messages held for one session on its way here, and `given`: resolved once they went to it. The stream
 * entries they came in are acknowledged only then (ForwardedSink.holding): held in memory alone, they would be lost
 * with this node, while the node recovering it finds unacknowledged entries in its stream and sends them on.
 */
class Awaiting {
  readonly held: Held[] = []
  readonly given: Promise<void>
  give!: () => void
  /** The session came here while its takeover waited: this node's recovery of its dead holder adopted it. */
  arrived = false

  constructor() {
    this.given = new Promise((resolve) => {
      this.give = resolve
    })
  }
}

/**
 * Routing across the cluster: a message is delivered here by the local Router and appended to the stream of every
 * other node holding a matching filter (filter-directory.ts, node-stream.ts), never to a node that wants none of it.
 *
 * - `$SYS/` topics stay on their node (its own figures).
 * - Retained messages (and clearing ones) go to every node, so each node's retained tree stays whole: a SUBSCRIBE on
 *   any node finds them. The store (shared Redis) already has them; the other nodes only adopt them in memory.
 * - A shared group gets each message once across the cluster: this node picks one of the nodes holding members of
 *   the group (in turn, skipping dead ones), and only that node's Router delivers it to the group, picking the member.
 *   Every routed message says which groups its receiver serves (RouteScope), so no other node serves them.
 * - A session moving between nodes (session-relay.ts): the node letting it go relays what matches its filters to
 *   the new holder, scoped to its client id. The new holder keeps relayed messages for a session it is still taking
 *   on (`expecting`) until the session is here and what it had is known (`arrived`, `had`): delivered earlier, they
 *   would find no session. From then on, for a while, it gives each message to the session once, whether it came
 *   relayed or routed here live (RecoveryOverlap, by message identity, as for a dead node's adopted sessions), and
 *   records the identities it delivers to the session with it (store/delivery-sources.ts), so the node that holds or
 *   drains it next does not give it a copy again. The stream entries of held messages are acknowledged only once the
 *   session has them (`holding`). What comes here for a session that left, once its relay is over, goes on to the
 *   member holding its lease (session-follower.ts).
 */
export class ClusterRouter implements MessageRouter, ForwardedSink {
  /** Entries appended to other members' streams (out), and messages read from a stream for this node (in): for metrics. */
  readonly relayed = { in: 0, out: 0 }
  /** Round-robin position per shared group. */
  private readonly turns = new Map<string, number>()
  /** Relayed messages held per client id while this node takes its session on. */
  private readonly awaited = new Map<string, Awaiting>()
  /** What the records delivered since the last `holding` left held. */
  private holdingNow: Set<Promise<void>> | undefined
  private readonly overlap = new RecoveryOverlap()
  private sources: Pick<DeliverySources, 'deliveringMessage'> | undefined
  /** Which sessions the identities of their deliveries are recorded for: those that came here lately. */
  private readonly recordsFor = (clientId: string): boolean => this.overlap.recording(clientId)

  constructor(
    /** This node's member (cluster-keys.ts): filters, streams and targets are members' throughout. */
    private readonly member: string,
    private readonly local: Pick<Router, 'route' | 'match'>,
    private readonly directory: Pick<FilterDirectory, 'plan' | 'nodes'>,
    private readonly membership: Pick<NodeMembership, 'isDead'>,
    private readonly stream: Pick<NodeStream, 'append' | 'flush' | 'backlog'>,
    private readonly retained: Pick<RetainedMessages, 'adopt'>,
    private readonly store: Pick<Store, 'flush'>,
    private readonly relay: Pick<SessionRelay, 'relaysFor' | 'stop'>,
    /**
     * Where sessions whose queues a forwarded message pushed past their high mark ask its sender to wait, and where a
     * message's publisher waits while Redis is behind on the appends it made.
     */
    private readonly backPressure: Pick<PublishBackPressure, 'begin' | 'take' | 'hold'>,
    /** Sessions that left this node: what still comes here for them goes on to their holder. */
    private readonly follower: Pick<SessionFollower, 'gone' | 'sendOn' | 'settled' | 'back'>
  ) {}

  route(message: Message): void {
    // $SYS figures are this node's own: each node publishes its own, and a client reads those of the node it is on.
    if (message.topic.startsWith('$SYS/')) {
      this.local.route(message)
      return
    }
    const self = this.member
    const plan = this.directory.plan(message.topic)
    let mine: Set<string> | undefined
    let theirs: Map<string, string[]> | undefined
    for (const group of plan.groups) {
      const node = this.pick(group.key, group.nodes)
      if (node === self) {
        mine ??= new Set()
        mine.add(group.key)
      } else {
        theirs ??= new Map()
        entryOf(theirs, node, () => []).push(group.key)
      }
    }
    const identity = this.liveIdentity(self, message)
    this.routeHere(message, plan.groups.length === 0 ? undefined : { sessions: 'all', groups: mine ?? NO_GROUPS }, identity)
    if (identity !== undefined) this.overlap.routedLive(identity)

    let body: Buffer | undefined
    const encoded = (): Buffer => {
      body ??= encodeBody(message)
      return body
    }
    const targets = plan.plainNodes
    const forward = (node: string, plain: boolean, groups: readonly string[]): void => {
      const bytes = encoded()
      this.append(node, encodeRecordHead({ plain, groups, publisher: self }, self, bytes.length), bytes)
    }
    for (const node of targets) if (node !== self) forward(node, true, theirs?.get(node) ?? [])
    if (theirs !== undefined) for (const [node, keys] of theirs) if (!targets.includes(node)) forward(node, false, keys)
    this.relayOn(message, self, 'all', encoded)
    if (!message.retain) return
    for (const node of this.directory.nodes) {
      if (node !== self && !targets.includes(node) && theirs?.has(node) !== true) forward(node, false, [])
    }
  }

  /** This node is taking `clientId`'s session on: relayed messages for it wait for `arrived`. */
  expecting(clientId: string): void {
    this.relay.stop(clientId)
    this.follower.back(clientId)
    if (!this.awaited.has(clientId)) this.awaited.set(clientId, new Awaiting())
  }

  /** Where the sessions' writes record the messages they deliver (store/delivery-sources.ts). */
  recordSources(sources: Pick<DeliverySources, 'deliveringMessage'>): void {
    this.sources = sources
  }

  /**
   * The session is here: taken over (or its takeover ended without it), or adopted from a dead node. From now on what
   * comes relayed, from a dead node's stream and live is given to it once, if it `resumed` here with what it had
   * elsewhere (a new session has nothing that can come twice: its messages are not followed). What was relayed for it
   * meanwhile stays held until `resume`.
   *
   * A client can connect here while its node is dying and this node, recovering that node, adopts the session before
   * the takeover ends: the session arrives with the adoption, and the takeover's end is the same arrival. Counting it
   * again would date the arrival after the messages routed live to the session in between, and the dead node's stream,
   * drained later, holds copies of them: the session would get each of those twice.
   */
  arrived(clientId: string, resumed: boolean): void {
    const awaiting = this.awaited.get(clientId)
    if (awaiting?.arrived === true) return
    if (awaiting !== undefined) awaiting.arrived = true
    if (resumed) this.overlap.arrived(clientId)
  }

  /** What sessions had before they came here (recorded with them): no copy of those goes to them. */
  had(delivered: ReadonlyMap<string, readonly string[]>): void {
    for (const [clientId, identities] of delivered) this.overlap.had(clientId, identities)
  }

  /** The session that `arrived` had `identities`: what was relayed for it meanwhile goes to it now, but those. */
  resume(clientId: string, identities: readonly string[]): void {
    if (identities.length > 0) this.overlap.had(clientId, identities)
    const awaiting = this.awaited.get(clientId)
    if (awaiting === undefined) return
    this.awaited.delete(clientId)
    for (const { message, publisher } of awaiting.held) this.deliverTo(clientId, message, publisher)
    awaiting.give()
  }

  flush(): Promise<void> {
    return this.stream.flush()
  }

  deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>, handedOver?: HandedOver): void {
    this.relayed.in += records.length
    this.backPressure.begin()
    for (const { message, plain, groups, client, publisher } of records) {
      if (client !== undefined) {
        if (onlyClients === undefined || onlyClients.has(client)) this.deliverTo(client, message, publisher)
        else this.followClient(client, message, publisher)
        continue
      }
      if (onlyClients === undefined && message.retain) this.retained.adopt(message)
      const identity = onlyClients === undefined ? this.liveIdentity(publisher, message) : this.overlap.identityOf(publisher, message)
      const except = onlyClients === undefined && plain && identity !== undefined ? this.overlap.routedLive(identity) : undefined
      const sessions =
        onlyClients === undefined ? 'all' : identity === undefined ? onlyClients : this.overlap.drained(identity, onlyClients)
      const scope: RouteScope = { sessions: plain ? sessions : 'none', groups: groups.length === 0 ? NO_GROUPS : new Set(groups), except }
      this.routeHere(message, scope, identity)
      if (!plain) continue
      const relayed = this.relayOn(message, publisher, sessions)
      if (sessions !== 'all') this.followOn(message, publisher, identity, sessions, relayed)
      if (handedOver !== undefined) this.followHandedOver(message, publisher, handedOver)
    }
  }

  /** What the sessions the last delivered entry filled past their high mark ask the stream's reader to wait for. */
  held(): Promise<void> | undefined {
    return this.backPressure.take()
  }

  /**
   * What the records delivered since the last call left held for sessions on their way here: resolves once those
   * went to them (`resume`); their entry waits for it, then for `durable`.
   */
  holding(): Promise<void> | undefined {
    const holding = this.holdingNow
    if (holding === undefined) return undefined
    this.holdingNow = undefined
    return Promise.all(holding).then(() => {})
  }

  /** Delivered, and relayed or followed messages appended, are durable: only then is a stream entry acknowledged. */
  async durable(): Promise<void> {
    await this.follower.settled()
    await Promise.all([this.store.flush(), this.stream.flush()])
  }

  /**
   * A message relayed for one client id: held while its session is on its way here, else to that session unless it
   * already had it (live, after it arrived, or relayed before): its live twin can reach it too.
   */
  private deliverTo(clientId: string, message: Message, publisher: string): void {
    const awaiting = this.awaited.get(clientId)
    if (awaiting !== undefined) {
      awaiting.held.push({ message, publisher })
      this.holdingNow ??= new Set()
      this.holdingNow.add(awaiting.given)
      return
    }
    const identity = this.overlap.identityOf(publisher, message)
    const only = identity === undefined ? new Set([clientId]) : this.overlap.drained(identity, new Set([clientId]))
    if (only.size === 0) return
    this.routeHere(message, { sessions: only, groups: NO_GROUPS }, identity)
    const relayed = this.relayOn(message, publisher, only)
    this.followOn(message, publisher, identity, only, relayed)
  }

  /**
   * A message relayed for a client whose session did not come here from the member whose stream is drained (it was on
   * its way to that member, or came back elsewhere): to the session wherever it is.
   */
  private followClient(clientId: string, message: Message, publisher: string): void {
    this.follower.sendOn(clientId, (member) => {
      if (member !== this.member) this.relayTo(member, clientId, publisher, encodeBody(message))
      else if (this.awaited.has(clientId) || this.subscribedHere(clientId, message.topic)) this.deliverTo(clientId, message, publisher)
      else return false
      return true
    })
  }

  /**
   * A message from a dead member's stream, on to each session that member had let go lately with a filter matching it
   * (handover-records.ts): the dead member's relay would have sent it there. A copy its relay sent before it died is
   * not given twice (`deliverTo` where the session is).
   */
  private followHandedOver(message: Message, publisher: string, handedOver: HandedOver): void {
    for (const [clientId, filters] of handedOver) {
      if (filters.some((filter) => topicMatchesFilter(message.topic, filter))) this.followClient(clientId, message, publisher)
    }
  }

  /**
   * Sends a message from a stream or a relay on to the holders of those of `clients` that left this node and are no
   * longer relayed to (session-follower.ts): as a copy for that client, which its holder gives it once.
   */
  private followOn(
    message: Message,
    publisher: string,
    identity: string | undefined,
    clients: ReadonlySet<string>,
    relayed: ReadonlyArray<readonly [string, string]>
  ): void {
    for (const clientId of this.follower.gone(message.topic, clients)) {
      if (this.awaited.has(clientId) || relayed.some(([client]) => client === clientId)) continue
      this.follower.sendOn(clientId, (member) => {
        if (member !== this.member) this.relayTo(member, clientId, publisher, encodeBody(message))
        // Back here meanwhile (adopted): delivered here, where this copy was already counted as given, once restored.
        else if (this.subscribedHere(clientId, message.topic))
          this.routeHere(message, { sessions: new Set([clientId]), groups: NO_GROUPS }, identity)
        else return false
        return true
      })
    }
  }

  /**
   * The identity of a message routed live here while one of the sessions it reaches here came lately (RecoveryOverlap),
   * else undefined: no other session can get a copy of it twice, so it is neither noted nor recorded with them.
   */
  private liveIdentity(publisher: string, message: Message): string | undefined {
    return this.overlap.isOpen() ? this.overlap.liveIdentityOf(publisher, message, this.local.match(message.topic).sessions) : undefined
  }

  /** Whether `clientId`'s session is restored here with a subscription matching `topic`. */
  private subscribedHere(clientId: string, topic: string): boolean {
    return this.local.match(topic).sessions.some((match) => match.session.clientId === clientId)
  }

  /**
   * Routes the message to this node's sessions, the session writes it makes recording message `identity` (for
   * sessions new here). Called for every message: no closure made for it.
   */
  private routeHere(message: Message, scope: RouteScope | undefined, identity: string | undefined): void {
    if (identity === undefined || this.sources === undefined) {
      this.local.route(message, scope)
      return
    }
    this.sources.deliveringMessage(identity, this.recordsFor)
    try {
      this.local.route(message, scope)
    } finally {
      this.sources.deliveringMessage(undefined)
    }
  }

  /**
   * Relays the message, published on member `publisher`, to the new holders of sessions that left this node lately
   * (session-relay.ts). `encoded` gives the encoded body already made for forwarding it, when there is one; without
   * it the body is encoded only if the message is relayed (every record read from a stream asks: no closure for it).
   */
  private relayOn(
    message: Message,
    publisher: string,
    clients: 'all' | ReadonlySet<string>,
    encoded?: () => Buffer
  ): ReadonlyArray<readonly [string, string]> {
    const relays = this.relay.relaysFor(message.topic, clients)
    if (relays.length === 0) return relays
    const body = encoded?.() ?? encodeBody(message)
    for (const [client, node] of relays) this.relayTo(node, client, publisher, body)
    return relays
  }

  /** Appends a copy of a message (its encoded `body`) for `client` only to `node`'s stream. */
  private relayTo(node: string, client: string, publisher: string, body: Buffer): void {
    this.append(node, encodeRecordHead({ plain: true, groups: [], client, publisher }, this.member, body.length), body)
  }

  /** Appends a record to `node`'s stream; while Redis is behind on the appends, the message's publisher waits. */
  private append(node: string, head: Buffer, body: Buffer): void {
    this.relayed.out++
    this.stream.append(node, head, body)
    const backlog = this.stream.backlog()
    if (backlog !== undefined) this.backPressure.hold(backlog)
  }

  /** The node that serves a shared group this time: the next in turn, skipping nodes known dead while another is not. */
  private pick(key: string, nodes: readonly string[]): string {
    const turn = this.turns.get(key) ?? 0
    this.turns.set(key, turn + 1)
    for (let step = 0; step < nodes.length; step++) {
      const node = nodes[(turn + step) % nodes.length]
      if (!this.membership.isDead(node)) return node
    }
    return nodes[turn % nodes.length]
  }
}
