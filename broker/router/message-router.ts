import type { Message } from '../message.js'

/**
 * Where a published message goes after the publish pipeline (publisher.ts) has made and kept it: to every
 * subscription that matches its topic. Router (router.ts) delivers to this node's sessions; a cross-node router
 * would wrap it, delivering here and forwarding to the nodes that hold a matching filter.
 */
export interface MessageRouter {
  route(message: Message): void
}

/**
 * Told when this node starts holding a filter (its first subscription, shared or not) and when it stops
 * (its last one goes): what a cross-node router needs to know to forward only the messages this node wants.
 * Filters are given without any `$share/{group}/` prefix.
 */
export interface FilterListener {
  filterAdded(filter: string): void
  filterRemoved(filter: string): void
}
