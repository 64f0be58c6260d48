import { TopicTree } from '../topic-tree.js'
import type { FilterListener } from './message-router.js'

/**
 * Topic filters, each holding values keyed by who owns them (a client id, a share group), matched by a topic
 * name: the router's index of subscriptions. A view over the one topic tree (topic-tree.ts), whose node at a
 * filter holds the map of its owners. Invariant: no filter holds an empty map (the last owner's leaving
 * removes the filter), so the filters in the tree are exactly the ones someone holds.
 */
export class TopicTrie<V> {
  private readonly tree = new TopicTree<Map<string, V>>()
  private entryCount = 0

  /** @param filters told when a filter gets its first owner and loses its last. */
  constructor(private readonly filters?: FilterListener) {}

  get size(): number {
    return this.entryCount
  }

  get(filter: string, key: string): V | undefined {
    return this.tree.get(filter.split('/'))?.get(key)
  }

  /** Sets the value of `key` under `filter`; returns true when it was not there before. */
  set(filter: string, key: string, value: V): boolean {
    const levels = filter.split('/')
    let entries = this.tree.get(levels)
    if (entries === undefined) {
      entries = new Map()
      this.tree.set(levels, entries)
      this.filters?.filterAdded(filter)
    }
    const isNew = !entries.has(key)
    entries.set(key, value)
    if (isNew) this.entryCount++
    return isNew
  }

  delete(filter: string, key: string): V | undefined {
    const levels = filter.split('/')
    const entries = this.tree.get(levels)
    const value = entries?.get(key)
    if (value === undefined) return undefined
    entries!.delete(key)
    this.entryCount--
    if (entries!.size === 0) {
      this.tree.delete(levels)
      this.filters?.filterRemoved(filter)
    }
    return value
  }

  /** Every value whose filter matches `topic` (the '$' and 'a/#' rules are the tree's). */
  match(topic: string): V[] {
    const out: V[] = []
    for (const entries of this.tree.matchTopic(topic.split('/'))) for (const value of entries.values()) out.push(value)
    return out
  }
}
