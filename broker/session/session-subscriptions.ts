import type { Router } from '../router/router.js'
import type { Subscription } from '../router/subscription.js'
import type { Store, SubscriptionRecord } from '../store/store.js'
import { parseFilter } from '../topics.js'
import type { Session } from './session.js'

/**
 * The subscriptions of sessions, kept in three places that must agree: the session's own list (by the full
 * filter, `$share/{group}/` included, the key of UNSUBSCRIBE), the router's index by filter, and the store's
 * copy for a session that outlives its connection. Every change goes through here, so they never disagree.
 * It sits with sessions rather than in the router because the session owns the list and decides whether it
 * is persistent; the router only indexes filters and never writes to the store.
 */
export class SessionSubscriptions {
  constructor(
    private readonly router: Pick<Router, 'subscribe' | 'unsubscribe' | 'filtersAnnounced'>,
    private readonly store: Pick<Store, 'saveSubscription' | 'deleteSubscription'>
  ) {}

  /**
   * Adds or replaces `subscription` (whose session is `session`); returns true when the session had none to its filter.
   * A replacement takes the old one's place in the router (Router.subscribe), never out and back in: the flow of
   * publications must not be interrupted [MQTT-3.8.4-3], and on a cluster node a filter taken out for a moment is
   * told to the other nodes (FilterListener), which route what they publish meanwhile past this session.
   */
  add(session: Session, subscription: Subscription): boolean {
    const previous = session.subscriptions.get(subscription.fullFilter)
    session.subscriptions.set(subscription)
    this.router.subscribe(subscription)
    if (session.isPersistent) {
      this.store.saveSubscription(session.clientId, {
        fullFilter: subscription.fullFilter,
        qos: subscription.qos,
        noLocal: subscription.noLocal,
        retainAsPublished: subscription.retainAsPublished,
        retainHandling: subscription.retainHandling,
        subscriptionId: subscription.subscriptionId
      })
    }
    return previous === undefined
  }

  /**
   * Settles once the subscriptions added so far are known to the other nodes of a cluster, so a message published
   * there after it reaches them; undefined when nothing needs waiting for (no cluster, or nothing pending).
   */
  announced(): Promise<void> | undefined {
    return this.router.filtersAnnounced()
  }

  /** Removes the session's subscription to `fullFilter`; false when it had none. */
  remove(session: Session, fullFilter: string): boolean {
    const subscription = session.subscriptions.get(fullFilter)
    if (subscription === undefined) return false
    session.subscriptions.delete(fullFilter)
    this.router.unsubscribe(subscription)
    if (session.isPersistent) this.store.deleteSubscription(session.clientId, fullFilter)
    return true
  }

  /** The session ends: its subscriptions leave the router (the store drops them with the session). */
  removeAll(session: Session): void {
    for (const subscription of session.subscriptions.values()) this.router.unsubscribe(subscription)
    session.subscriptions.clear()
  }

  /** Puts back the subscriptions the store kept for a restored session. */
  restore(session: Session, saved: readonly SubscriptionRecord[]): void {
    for (const record of saved) {
      const parsed = parseFilter(record.fullFilter, Infinity, Infinity)
      if (typeof parsed === 'string') continue
      const subscription: Subscription = {
        ...record,
        session,
        filter: parsed.filter,
        group: parsed.group,
        subscriptionIds: record.subscriptionId === undefined ? undefined : [record.subscriptionId]
      }
      session.subscriptions.set(subscription)
      this.router.subscribe(subscription)
    }
  }
}
