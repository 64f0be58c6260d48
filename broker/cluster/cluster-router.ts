import type { Message } from '../message.js'
import type { RetainedMessages } from '../retained/retained.js'
import type { MessageRouter, RouteScope } from '../router/message-router.js'
import type { Router } from '../router/router.js'
import type { PublishBackPressure } from '../session/publish-back-pressure.js'
import type { Store } from '../store/store.js'
import { entryOf } from './entry-of.js'
import type { FilterDirectory } from './filter-directory.js'
import { encodeBody, encodeRecordHead, type ForwardedMessage } from './forwarded-codec.js'
import type { NodeMembership } from './node-membership.js'
import type { ForwardedSink, NodeStream } from './node-stream.js'
import { RecoveryOverlap } from './recovery-overlap.js'
import type { SessionRelay } from './session-relay.js'

const NO_GROUPS: ReadonlySet<string> = new Set()
const NO_NODES: readonly string[] = []

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
 *   the new holder, scoped to its client id, and every forwarded message carries its plain targets so the relay can
 *   skip a message the new holder already got. The new holder keeps relayed messages for a session it is still
 *   taking on (`expecting`) until the session is here (`arrived`): delivered earlier, they would find no session.
 */
export class ClusterRouter implements MessageRouter, ForwardedSink {
  /** Entries appended to other members' streams (out), and messages read from a stream for this node (in): for metrics. */
  readonly relayed = { in: 0, out: 0 }
  /** Round-robin position per shared group. */
  private readonly turns = new Map<string, number>()
  /** Relayed messages held per client id while this node takes its session on. */
  private readonly awaited = new Map<string, Message[]>()
  private readonly overlap = new RecoveryOverlap()

  constructor(
    /** This node's member (cluster-keys.ts): filters, streams and targets are members' throughout. */
    private readonly member: string,
    private readonly local: Pick<Router, 'route'>,
    private readonly directory: Pick<FilterDirectory, 'plan' | 'nodes'>,
    private readonly membership: Pick<NodeMembership, 'isDead'>,
    private readonly stream: Pick<NodeStream, 'append' | 'flush'>,
    private readonly retained: Pick<RetainedMessages, 'adopt'>,
    private readonly store: Pick<Store, 'flush'>,
    private readonly relay: Pick<SessionRelay, 'relaysFor' | 'stop'>,
    /** Where sessions whose queues a forwarded message pushed past their high mark ask its sender to wait. */
    private readonly backPressure: Pick<PublishBackPressure, 'begin' | 'take'>
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
    this.local.route(message, plan.groups.length === 0 ? undefined : { sessions: 'all', groups: mine ?? NO_GROUPS })
    this.overlap.routedLive(message)

    let body: Buffer | undefined
    const encoded = (): Buffer => {
      body ??= encodeBody(message)
      return body
    }
    const targets = plan.plainNodes
    const forward = (node: string, plain: boolean, groups: readonly string[]): void => {
      const bytes = encoded()
      const others = targets.length <= 1 ? NO_NODES : targets.filter((target) => target !== node)
      this.append(node, encodeRecordHead({ plain, groups, targets: others }, bytes.length), bytes)
    }
    for (const node of targets) if (node !== self) forward(node, true, theirs?.get(node) ?? [])
    if (theirs !== undefined) for (const [node, keys] of theirs) if (!targets.includes(node)) forward(node, false, keys)
    this.relayOn(message, targets, 'all', encoded)
    if (!message.retain) return
    for (const node of this.directory.nodes) {
      if (node !== self && !targets.includes(node) && theirs?.has(node) !== true) forward(node, false, [])
    }
  }

  /** This node is taking `clientId`'s session on: relayed messages for it wait for `arrived`. */
  expecting(clientId: string): void {
    this.relay.stop(clientId)
    if (!this.awaited.has(clientId)) this.awaited.set(clientId, [])
  }

  /** A dead node's session was adopted here: what its stream still holds must not repeat what it gets live now. */
  adopted(clientId: string): void {
    this.overlap.adopted(clientId)
  }

  /** The session is here (or its takeover ended without it): what was relayed for it meanwhile goes to it now. */
  arrived(clientId: string): void {
    const held = this.awaited.get(clientId)
    this.awaited.delete(clientId)
    for (const message of held ?? []) this.deliverTo(clientId, message)
  }

  flush(): Promise<void> {
    return this.stream.flush()
  }

  deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>): void {
    this.relayed.in += records.length
    this.backPressure.begin()
    for (const { message, plain, groups, targets, client } of records) {
      if (client !== undefined) {
        // A relayed copy goes through the same bookkeeping: it can meet its live twin after a recovery.
        const fresh =
          onlyClients === undefined
            ? this.overlap.routedLive(message)?.has(client) !== true
            : onlyClients.has(client) && this.overlap.drained(message, new Set([client])).size > 0
        if (fresh) this.deliverTo(client, message)
        continue
      }
      if (onlyClients === undefined && message.retain) this.retained.adopt(message)
      const except = onlyClients === undefined && plain ? this.overlap.routedLive(message) : undefined
      const sessions = onlyClients === undefined ? 'all' : this.overlap.drained(message, onlyClients)
      const scope: RouteScope = {
        sessions: plain ? sessions : 'none',
        groups: groups.length === 0 ? NO_GROUPS : new Set(groups),
        ...(except === undefined ? {} : { except })
      }
      this.local.route(message, scope)
      if (plain) this.relayOn(message, targets, sessions, () => encodeBody(message))
    }
  }

  /** What the sessions the last delivered entry filled past their high mark ask the stream's reader to wait for. */
  held(): Promise<void> | undefined {
    return this.backPressure.take()
  }

  /** Delivered, and relayed messages appended, are durable: only then is a stream entry acknowledged. */
  async durable(): Promise<void> {
    await Promise.all([this.store.flush(), this.stream.flush()])
  }

  /** A message relayed for one client id: held while its session is on its way here, else to that session. */
  private deliverTo(clientId: string, message: Message): void {
    const held = this.awaited.get(clientId)
    if (held !== undefined) {
      held.push(message)
      return
    }
    const only = new Set([clientId])
    this.local.route(message, { sessions: only, groups: NO_GROUPS })
    this.relayOn(message, [], only, () => encodeBody(message))
  }

  /** Relays the message to the new holders of sessions that left this node lately (session-relay.ts). */
  /** `encoded` gives the message's encoded body: the one already made for forwarding it, when there is one. */
  private relayOn(message: Message, targets: readonly string[], clients: 'all' | ReadonlySet<string>, encoded: () => Buffer): void {
    const relays = this.relay.relaysFor(message.topic, targets, clients)
    if (relays.length === 0) return
    const body = encoded()
    for (const [client, node] of relays) {
      this.append(node, encodeRecordHead({ plain: true, groups: [], targets: NO_NODES, client }, body.length), body)
    }
  }

  private append(node: string, head: Buffer, body: Buffer): void {
    this.relayed.out++
    this.stream.append(node, head, body)
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
