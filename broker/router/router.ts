import type { Session } from '../session/session.js'
import { SharedGroup } from './shared-subscriptions.js'
import type { Subscription } from './subscription.js'
import { TopicTrie } from './topic-trie.js'

/** The subscriptions of one session that match a topic; more than one when filters overlap. */
export interface SessionMatch {
  readonly session: Session
  readonly subscriptions: Subscription[]
}

export interface MatchResult {
  readonly sessions: SessionMatch[]
  readonly groups: SharedGroup[]
}

const SHARE_KEY = '\u0000share/'
/** Topics whose matches are remembered; past this the cache starts over. */
const CACHE_LIMIT = 20_000

/**
 * Who receives a topic. Matching walks the trie once per distinct topic: the result is cached
 * until the next SUBSCRIBE or UNSUBSCRIBE changes the answer (mosquitto src/subs.c does the same walk
 * per message; IoT topics repeat, subscriptions rarely change).
 */
export class Router {
  private readonly trie = new TopicTrie<Subscription | SharedGroup>()
  private readonly cache = new Map<string, MatchResult>()
  private subscriptionCount = 0

  get count(): number {
    return this.subscriptionCount
  }

  /** Adds or replaces a subscription; returns true when the session had no subscription to this filter. */
  subscribe(subscription: Subscription): boolean {
    this.cache.clear()
    let isNew: boolean
    if (subscription.group === undefined) {
      isNew = this.trie.set(subscription.filter, subscription.session.clientId, subscription)
    } else {
      const key = SHARE_KEY + subscription.group
      let group = this.trie.get(subscription.filter, key) as SharedGroup | undefined
      if (group === undefined) {
        group = new SharedGroup(subscription.group, subscription.filter)
        this.trie.set(subscription.filter, key, group)
      }
      isNew = group.upsert(subscription)
    }
    if (isNew) this.subscriptionCount++
    return isNew
  }

  unsubscribe(subscription: Subscription): void {
    this.cache.clear()
    this.subscriptionCount--
    if (subscription.group === undefined) {
      this.trie.delete(subscription.filter, subscription.session.clientId)
      return
    }
    const key = SHARE_KEY + subscription.group
    const group = this.trie.get(subscription.filter, key) as SharedGroup | undefined
    if (group === undefined) return
    group.remove(subscription)
    if (group.members.length === 0) this.trie.delete(subscription.filter, key)
  }

  match(topic: string): MatchResult {
    let result = this.cache.get(topic)
    if (result !== undefined) return result
    result = groupBySession(this.trie.match(topic))
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear()
    this.cache.set(topic, result)
    return result
  }
}

function groupBySession(matches: Array<Subscription | SharedGroup>): MatchResult {
  const sessions: SessionMatch[] = []
  const groups: SharedGroup[] = []
  let bySession: Map<Session, SessionMatch> | undefined
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
      const entry = { session: match.session, subscriptions: [match] }
      bySession.set(match.session, entry)
      sessions.push(entry)
    }
  }
  return { sessions, groups }
}
