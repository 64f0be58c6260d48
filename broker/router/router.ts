import type { QoS } from 'mqtt-packet'
import type { ReadAuthorizer } from '../auth/hooks.js'
import type { Delivery, Message } from '../message.js'
import { type BrokerStats, DropReason } from '../stats.js'
import { TopicTree } from '../topic-tree.js'
import type { FilterListener, MessageRouter, RouteScope } from './message-router.js'
import { SharedGroup } from './shared-subscriptions.js'
import type { Subscriber, Subscription } from './subscription.js'
import { TopicTrie } from './topic-trie.js'

/** The subscriptions of one session that match a topic; more than one when filters overlap. */
export interface SessionMatch {
  readonly session: Subscriber
  readonly subscriptions: Subscription[]
  /**
   * Whether the session may read the topic, kept with the user name it was judged for (a resumed session
   * can change hands): set on the first delivery when the router checks reads, else never.
   */
  readAccess: { readonly username: string | undefined; readonly allowed: boolean } | undefined
}

export interface MatchResult {
  readonly sessions: SessionMatch[]
  readonly groups: SharedGroup[]
}

const SHARE_KEY = '\u0000share/'
const ROUTED = Promise.resolve()
/** Topics whose matches are remembered; past this the cache starts over. */
const CACHE_LIMIT = 20_000

/**
 * Routing on this node: who receives a topic, and what each receives (fan-out, shared groups, the options
 * of each subscription). Subscriptions sit in a trie by filter; matching walks it once per distinct
 * topic and caches the result (mosquitto src/subs.c walks per message; IoT topics repeat, subscriptions
 * rarely change). A topic that matches nothing is not cached: its walk stops where the trie holds nothing
 * for it and nothing is delivered, while an entry costs about 200 bytes, and a fleet's topics that nobody
 * reads (10 000 devices' readings, status and meta) would keep the cache full and churning: 12 MB of a
 * 10 000-device broker's heap.
 *
 * Cache invariant: the cached result for topic T depends only on what the filters matching T hold, so a
 * SUBSCRIBE or UNSUBSCRIBE at filter F drops exactly the cached topics that F matches and no other. They are
 * found by a walk of `cachedTopics` (the cached topic names, in a topic tree of their own): a filter without
 * wildcards finds only its own topic, `a/+` only the cached topics one level under `a`.
 *
 * Read access (an ACL): with a ReadAuthorizer, each delivery is first checked against the subscriber's read
 * rights; the answer is kept in the cached match (per topic and session), so it inherits the cache's bound
 * and invalidation, and the whole cache is dropped when the rules change (`rulesVersion`, on SIGHUP).
 * Without one, routing asks nothing.
 */
export class Router implements MessageRouter {
  /** Subscriptions by filter, keyed by the session's client id, or SHARE_KEY + the group for a shared group. */
  private readonly trie: TopicTrie<Subscription | SharedGroup>
  private readonly cache = new Map<string, MatchResult>()
  private readonly cachedTopics = new TopicTree<string>()
  private subscriptionCount = 0
  private sharedCount = 0
  private readRulesVersion: number | undefined

  /**
   * @param filters told of the filters this node holds, for a router that forwards across nodes.
   * @param reads asked before each delivery; undefined when every subscriber may read all it matches.
   * @param stats counts the messages no subscription here matched.
   */
  constructor(
    private readonly filters?: FilterListener,
    private readonly reads?: ReadAuthorizer,
    private readonly stats?: Pick<BrokerStats, 'dropped'>
  ) {
    this.trie = new TopicTrie(ownerKey, filters)
  }

  get count(): number {
    return this.subscriptionCount
  }

  /** When the filters this node holds are known to the other nodes (FilterListener.announced); undefined alone. */
  filtersAnnounced(): Promise<void> | undefined {
    return this.filters?.announced?.()
  }

  /** Of `count`, the subscriptions that are members of a shared group. */
  get sharedSubscriptionCount(): number {
    return this.sharedCount
  }

  /** Adds or replaces a subscription; returns true when the session had no subscription to this filter. */
  subscribe(subscription: Subscription): boolean {
    this.forgetMatches(subscription.filter.split('/'))
    let isNew: boolean
    if (subscription.group === undefined) {
      isNew = this.trie.set(subscription.filter, subscription)
    } else {
      const key = SHARE_KEY + subscription.group
      let group = this.trie.get(subscription.filter, key) as SharedGroup | undefined
      if (group === undefined) {
        group = new SharedGroup(subscription.group, subscription.filter)
        this.trie.set(subscription.filter, group)
        this.filters?.groupAdded?.(subscription.group, subscription.filter)
      }
      isNew = group.upsert(subscription)
      if (isNew) this.sharedCount++
    }
    if (isNew) this.subscriptionCount++
    return isNew
  }

  unsubscribe(subscription: Subscription): void {
    this.forgetMatches(subscription.filter.split('/'))
    this.subscriptionCount--
    if (subscription.group === undefined) {
      this.trie.delete(subscription.filter, subscription.session.clientId)
      return
    }
    this.sharedCount--
    const key = SHARE_KEY + subscription.group
    const group = this.trie.get(subscription.filter, key) as SharedGroup | undefined
    if (group === undefined) return
    group.remove(subscription)
    if (group.members.length > 0) return
    this.trie.delete(subscription.filter, key)
    this.filters?.groupRemoved?.(subscription.group, subscription.filter)
  }

  match(topic: string): MatchResult {
    let result = this.cache.get(topic)
    if (result !== undefined) return result
    result = groupBySession(this.trie.match(topic))
    if (result === NO_MATCHES) return result
    if (this.cache.size >= CACHE_LIMIT) this.clearMatches()
    this.cache.set(topic, result)
    this.cachedTopics.set(topic.split('/'), topic)
    return result
  }

  /**
   * Hands the message to every matching session once, and to one member of every matching shared group; with a
   * `scope` (a message the cluster routes here), only to the sessions and groups it names.
   */
  route(message: Message, scope?: RouteScope): void {
    const reads = this.reads
    if (reads !== undefined && reads.rulesVersion !== this.readRulesVersion) {
      this.clearMatches()
      this.readRulesVersion = reads.rulesVersion
    }
    const { sessions, groups } = this.match(message.topic)
    // The broker's own $SYS messages (no origin) are no one's loss when nobody reads them.
    if (sessions.length === 0 && groups.length === 0 && scope === undefined && message.origin !== '' && this.stats !== undefined) {
      this.stats.dropped[DropReason.NoSubscriber]++
    }
    const only = scope?.sessions ?? 'all'
    for (let i = 0; only !== 'none' && i < sessions.length; i++) {
      const match = sessions[i]
      if (only !== 'all' && !only.has(match.session.clientId)) continue
      if (scope?.except?.has(match.session.clientId) === true) continue
      if (reads !== undefined && !mayRead(reads, match, message.topic)) continue
      const delivery = match.subscriptions.length === 1 ? deliveryFor(message, match.subscriptions[0]) : mergedDelivery(message, match)
      if (delivery !== undefined) match.session.deliver(delivery)
    }
    for (let i = 0; i < groups.length; i++) {
      if (scope !== undefined && !scope.groups.has(`${groups[i].group}/${groups[i].filter}`)) continue
      const member = groups[i].pick(message.origin, reads, message.topic)
      if (member !== undefined) member.session.deliver(deliveryFor(message, member)!)
    }
  }

  /** Delivery here is done when `route` returns: nothing to wait for. */
  flush(): Promise<void> {
    return ROUTED
  }

  /** Drops the cached matches a change at the filter `levels` can alter (see the invariant above). */
  protected forgetMatches(levels: readonly string[]): void {
    for (const topic of this.cachedTopics.matchFilter(levels)) {
      this.cache.delete(topic)
      this.cachedTopics.delete(topic.split('/'))
    }
  }

  protected clearMatches(): void {
    this.cache.clear()
    this.cachedTopics.clear()
  }
}

/** Who a value of the trie belongs to: the session's client id, or SHARE_KEY and the group. */
function ownerKey(value: Subscription | SharedGroup): string {
  return value instanceof SharedGroup ? SHARE_KEY + value.group : value.session.clientId
}

/** What a topic no one subscribes to matches: one object for all of them, none cached (see Router). */
const NO_MATCHES: MatchResult = Object.freeze({ sessions: [], groups: [] })

function groupBySession(matches: Array<Subscription | SharedGroup>): MatchResult {
  if (matches.length === 0) return NO_MATCHES
  const sessions: SessionMatch[] = []
  const groups: SharedGroup[] = []
  let bySession: Map<Subscriber, SessionMatch> | undefined
  for (const match of matches) {
    if (match instanceof SharedGroup) {
      groups.push(match)
      continue
    }
    bySession ??= new Map()
    const existing = bySession.get(match.session)
    if (existing !== undefined) {
      existing.subscriptions.push(match)
    } else {
      const entry: SessionMatch = { session: match.session, subscriptions: [match], readAccess: undefined }
      bySession.set(match.session, entry)
      sessions.push(entry)
    }
  }
  return { sessions, groups }
}

/** The kept answer for this topic and session, or the reader's (kept for the next message on the topic). */
function mayRead(reads: ReadAuthorizer, match: SessionMatch, topic: string): boolean {
  const username = match.session.username
  const known = match.readAccess
  if (known !== undefined && known.username === username) return known.allowed
  const allowed = reads.authorizeRead(match.session, topic)
  match.readAccess = { username, allowed }
  return allowed
}

/**
 * The deliveries of the message being routed that carry no Subscription Identifier, one per (QoS, retain flag):
 * a Delivery is immutable, so every subscriber it fits shares one instead of getting an object each. A slot
 * holding another message's delivery is stale (a route that ran since, possibly from inside this one).
 */
const sharedDeliveries: Array<Delivery | undefined> = new Array(6)

function deliveryFor(message: Message, subscription: Subscription): Delivery | undefined {
  if (subscription.noLocal && subscription.session.clientId === message.origin) return undefined // [MQTT-3.8.3-3]
  const qos = Math.min(message.qos, subscription.qos) as QoS
  const retain = subscription.retainAsPublished && message.retain // [MQTT-3.3.1-12, MQTT-3.3.1-13]
  const subscriptionIds = subscription.subscriptionIds
  if (subscriptionIds !== undefined) return { message, qos, retain, subscriptionIds }
  const slot = qos * 2 + (retain ? 1 : 0)
  let shared = sharedDeliveries[slot]
  if (shared === undefined || shared.message !== message) {
    shared = { message, qos, retain, subscriptionIds }
    sharedDeliveries[slot] = shared
  }
  return shared
}

/** Overlapping subscriptions of one session: one copy, at the highest QoS, with every Subscription Identifier [MQTT-3.3.4-2, MQTT-3.3.4-3]. */
function mergedDelivery(message: Message, match: SessionMatch): Delivery | undefined {
  let qos = -1
  let retain = false
  let subscriptionIds: number[] | undefined
  for (const subscription of match.subscriptions) {
    if (subscription.noLocal && subscription.session.clientId === message.origin) continue
    if (subscription.qos > qos) qos = subscription.qos
    retain ||= subscription.retainAsPublished && message.retain
    if (subscription.subscriptionId !== undefined) {
      subscriptionIds ??= []
      subscriptionIds.push(subscription.subscriptionId)
    }
  }
  if (qos < 0) return undefined
  return { message, qos: Math.min(qos, message.qos) as QoS, retain, subscriptionIds }
}
