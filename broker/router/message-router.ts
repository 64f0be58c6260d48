import type { Message } from '../message.js'

/**
 * Where a published message goes after the publish pipeline (publisher.ts) has made and kept it: to every
 * subscription that matches its topic. Router (router.ts) delivers to this node's sessions; the cluster router
 * (cluster/cluster-router.ts) wraps it, delivering here and forwarding to the nodes that hold a matching filter.
 */
export interface MessageRouter {
  route(message: Message): void
  /**
   * Resolves once every message routed before the call has reached wherever it must be kept before a QoS 1/2
   * PUBLISH is acknowledged (other nodes' inbound streams); at once for a router that only delivers here. Calls
   * made before the same send get the same promise. Rejects when the messages could not be handed on.
   */
  flush(): Promise<void>
}

/**
 * Which of this node's subscribers a message routed here is for, when the cluster shares the work: the plain
 * (non-shared) subscriptions of all sessions, of none, or of the given client ids only; and the shared groups
 * that take it here, each as `{group}/{filter}` (other groups are served on another node).
 */
export interface RouteScope {
  readonly sessions: 'all' | 'none' | ReadonlySet<string>
  readonly groups: ReadonlySet<string>
  /** Client ids whose plain subscriptions do not take it: they have had it already (cluster/recovery-overlap.ts). */
  readonly except?: ReadonlySet<string>
}

/**
 * Told when this node starts holding a filter (its first subscription, shared or not) and when it stops
 * (its last one goes): what a cross-node router needs to know to forward only the messages this node wants.
 * Filters are given without any `$share/{group}/` prefix. A listener that also balances shared subscriptions
 * across nodes hears of each shared group when its first member here comes and its last one goes.
 */
export interface FilterListener {
  filterAdded(filter: string): void
  filterRemoved(filter: string): void
  groupAdded?(group: string, filter: string): void
  groupRemoved?(group: string, filter: string): void
  /**
   * Settles once every change told so far is known where the other nodes read it (in Redis, its note published), so
   * a message published on another node after that is routed here; undefined when there is nothing to wait for.
   * Never rejects: a change that could not be recorded is written again later by the listener itself.
   */
  announced?(): Promise<void> | undefined
}
