import type { Delivery } from '../../broker/message.js'
import type { Subscriber, Subscription } from '../../broker/router/subscription.js'
import { parseFilter } from '../../broker/topics.js'

/** A connected subscriber that takes every delivery and keeps none: for driving the router on its own. */
export function subscriber(clientId: string): Subscriber {
  return { clientId, username: undefined, isConnected: true, deliver: (_delivery: Delivery) => {} }
}

/** A QoS 0 subscription of `session` to `fullFilter` (`$share/{group}/` allowed), with no options set. */
export function subscription(session: Subscriber, fullFilter: string): Subscription {
  const parsed = parseFilter(fullFilter, Infinity, Infinity)
  if (typeof parsed === 'string') throw new Error(parsed)
  return {
    session,
    fullFilter,
    filter: parsed.filter,
    group: parsed.group,
    qos: 0,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    subscriptionId: undefined,
    subscriptionIds: undefined
  }
}
