import { type KeyedValues, keyedValue, withKeyedValue, withoutKeyedValue } from '../keyed-values.js'
import { TopicTree } from '../topic-tree.js'
import type { FilterListener } from './message-router.js'

/**
 * Topic filters, each holding values keyed by who owns them (a client id, a share group), matched by a topic
 * name: the router's index of subscriptions. A view over the one topic tree (topic-tree.ts), whose node at a
 * filter holds its owners' values (keyed-values.ts: most filters of a fleet have one owner, held without a Map).
 * Invariant: no filter holds nothing (the last owner's leaving removes the filter), so the filters in the tree
 * are exactly the ones someone holds.
 */
export class TopicTrie<V> {
  private readonly tree = new TopicTree<KeyedValues<V>>()
  private entryCount = 0

  /**
   * @param keyOf the owner key of a value.
   * @param filters told when a filter gets its first owner and loses its last.
   */
  constructor(
    private readonly keyOf: (value: V) => string,
    private readonly filters?: FilterListener
  ) {}

  get size(): number {
    return this.entryCount
  }

  get(filter: string, key: string): V | undefined {
    return keyedValue(this.tree.get(filter.split('/')), key, this.keyOf)
  }

  /** Sets `value` under `filter`, by its owner key; returns true when that owner had none there before. */
  set(filter: string, value: V): boolean {
    const levels = filter.split('/')
    const held = this.tree.get(levels)
    const isNew = keyedValue(held, this.keyOf(value), this.keyOf) === undefined
    const next = withKeyedValue(held, value, this.keyOf)
    if (next !== held) this.tree.set(levels, next)
    if (held === undefined) this.filters?.filterAdded(filter)
    if (isNew) this.entryCount++
    return isNew
  }

  delete(filter: string, key: string): V | undefined {
    const levels = filter.split('/')
    const held = this.tree.get(levels)
    const value = keyedValue(held, key, this.keyOf)
    if (value === undefined) return undefined
    this.entryCount--
    const left = withoutKeyedValue(held, key, this.keyOf)
    if (left === undefined) {
      this.tree.delete(levels)
      this.filters?.filterRemoved(filter)
    } else if (left !== held) {
      this.tree.set(levels, left)
    }
    return value
  }

  /** Every value whose filter matches `topic` (the '$' and 'a/#' rules are the tree's). */
  match(topic: string): V[] {
    const out: V[] = []
    for (const held of this.tree.matchTopic(topic.split('/'))) {
      if (held instanceof Map) for (const value of held.values()) out.push(value)
      else if (held !== undefined) out.push(held)
    }
    return out
  }
}
