import { TopicTrie } from '../../broker/router/topic-trie.js'
import type { Adapter, AdapterResult, AdapterSubscription } from './adapter.js'
import type { UnrecognizedPayloads } from './unrecognized-payloads.js'

/** What became of one message: the adapter that claimed it (undefined when none did) and its result. */
export interface Dispatched {
  adapter: string | undefined
  result: AdapterResult
}

export interface AdapterFilter extends AdapterSubscription {
  adapter: string
}

/** The adapter name under which messages no adapter claims are counted. */
export const NO_ADAPTER = 'none'

/**
 * Hands each message to the adapters whose filters match its topic, in the order they were given,
 * until one claims it (anything but `not-mine`). Never throws: a payload nobody claims, one its
 * adapter cannot read, and an adapter that throws all become `unrecognized`, counted if a counter
 * is given.
 */
export class AdapterDispatcher {
  readonly filters: readonly AdapterFilter[]
  private readonly trie = new TopicTrie<number>()

  constructor (private readonly adapters: readonly Adapter[], private readonly unrecognized?: UnrecognizedPayloads) {
    this.filters = adapters.flatMap((adapter) => adapter.subscriptions.map((subscription) => ({ ...subscription, adapter: adapter.name })))
    // Values are adapter indexes, so matches can be tried in adapter order.
    adapters.forEach((adapter, index) => {
      for (const { filter } of adapter.subscriptions) this.trie.set(filter, adapter.name, index)
    })
  }

  /**
   * The filters to subscribe to, each once: shareable ones as `$share/{shareGroup}/{filter}` when a
   * group is given, the others plain.
   */
  topicFilters (shareGroup?: string): string[] {
    const out = new Set<string>()
    for (const { filter, shareable } of this.filters) out.add(shareable && shareGroup !== undefined ? `$share/${shareGroup}/${filter}` : filter)
    return [...out]
  }

  dispatch (topic: string, payload: Buffer, receivedAt: number): Dispatched {
    const indexes = [...new Set(this.trie.match(topic))].sort((a, b) => a - b)
    for (const index of indexes) {
      const adapter = this.adapters[index]
      let result: AdapterResult
      try {
        result = adapter.decode(topic, payload, receivedAt)
      } catch (error) {
        result = { kind: 'unrecognized', reason: `adapter failed: ${error instanceof Error ? error.message : String(error)}` }
      }
      if (result.kind === 'not-mine') continue
      if (result.kind === 'unrecognized') this.unrecognized?.count(adapter.name, result.reason, topic)
      return { adapter: adapter.name, result }
    }
    const reason = 'no adapter recognizes it'
    this.unrecognized?.count(NO_ADAPTER, reason, topic)
    return { adapter: undefined, result: { kind: 'unrecognized', reason } }
  }
}
