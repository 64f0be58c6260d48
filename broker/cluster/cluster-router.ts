import type { Message } from '../message.js'
import type { RetainedMessages } from '../retained/retained.js'
import type { MessageRouter, RouteScope } from '../router/message-router.js'
import type { Router } from '../router/router.js'
import type { Store } from '../store/store.js'
import { entryOf } from './entry-of.js'
import type { FilterDirectory } from './filter-directory.js'
import { encodeBody, encodeRecordHead, type ForwardedMessage } from './forwarded-codec.js'
import type { NodeMembership } from './node-membership.js'
import type { ForwardedSink, NodeStream } from './node-stream.js'

const NO_GROUPS: ReadonlySet<string> = new Set()

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
 */
export class ClusterRouter implements MessageRouter, ForwardedSink {
  /** Round-robin position per shared group. */
  private readonly turns = new Map<string, number>()

  constructor(
    private readonly nodeId: string,
    private readonly local: Pick<Router, 'route'>,
    private readonly directory: Pick<FilterDirectory, 'plan' | 'nodes'>,
    private readonly membership: Pick<NodeMembership, 'isDead'>,
    private readonly stream: Pick<NodeStream, 'append' | 'flush'>,
    private readonly retained: Pick<RetainedMessages, 'adopt'>,
    private readonly store: Pick<Store, 'flush'>
  ) {}

  route(message: Message): void {
    // $SYS figures are this node's own: each node publishes its own, and a client reads those of the node it is on.
    if (message.topic.startsWith('$SYS/')) {
      this.local.route(message)
      return
    }
    const self = this.nodeId
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

    let body: Buffer | undefined
    const forward = (node: string, plain: boolean, groups: readonly string[]): void => {
      body ??= encodeBody(message)
      this.stream.append(node, encodeRecordHead(plain, groups, body.length), body)
    }
    for (const node of plan.plainNodes) if (node !== self) forward(node, true, theirs?.get(node) ?? [])
    if (theirs !== undefined) for (const [node, keys] of theirs) if (!plan.plainNodes.includes(node)) forward(node, false, keys)
    if (!message.retain) return
    for (const node of this.directory.nodes) {
      if (node !== self && !plan.plainNodes.includes(node) && theirs?.has(node) !== true) forward(node, false, [])
    }
  }

  flush(): Promise<void> {
    return this.stream.flush()
  }

  deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>): void {
    for (const { message, plain, groups } of records) {
      if (onlyClients === undefined && message.retain) this.retained.adopt(message)
      const scope: RouteScope = {
        sessions: plain ? (onlyClients ?? 'all') : 'none',
        groups: groups.length === 0 ? NO_GROUPS : new Set(groups)
      }
      this.local.route(message, scope)
    }
  }

  durable(): Promise<void> {
    return this.store.flush()
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
