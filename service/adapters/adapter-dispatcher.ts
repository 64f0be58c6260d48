import { topicMatchesFilter } from '../../common/topic-filter.js'
import { type Adapter, type AdapterResult, type AdapterSubscription, notMine } from './adapter.js'
import type { UnrecognizedPayloads } from './unrecognized-payloads.js'

/**
 * What became of one message: the adapter that claimed it (undefined when none did) and its result;
 * `not-mine` only when dispatched by subscription identifier and another filter's copy decides.
 */
export interface Dispatched {
  adapter: string | undefined
  result: AdapterResult
}

export interface AdapterFilter extends AdapterSubscription {
  adapter: string
}

/** One SUBSCRIBE: the topic filter as sent (`$share/...` for shareable ones) and its MQTT 5 subscription identifier. */
export interface PlannedSubscription {
  topic: string
  subscriptionIdentifier: number
}

/** The adapter name under which messages no adapter claims are counted. */
export const NO_ADAPTER = 'none'

/**
 * Hands each message to the adapters whose filters match its topic, in the order they were given,
 * until one claims it (anything but `not-mine`). Never throws: a payload nobody claims, one its
 * adapter cannot read, and an adapter that throws all become `unrecognized`, counted if a counter
 * is given.
 *
 * Filters of different adapters can overlap (`tele/+/SENSOR` and Shelly's `+/status/+` both match
 * `tele/status/SENSOR`), and each shared subscription delivers its own copy. With MQTT 5, subscribe
 * per `subscriptionPlan` and pass the identifiers the message came with to `dispatch`: each copy then
 * goes only to the adapters of the filter that delivered it, so a reading is decoded once.
 */
export class AdapterDispatcher {
  readonly filters: readonly AdapterFilter[]
  /** Distinct filters; a filter's subscription identifier is its index + 1. */
  private readonly distinct: Array<{ filter: string; shareable: boolean; adapters: Set<number> }> = []

  constructor(
    private readonly adapters: readonly Adapter[],
    private readonly unrecognized?: UnrecognizedPayloads
  ) {
    this.filters = adapters.flatMap((adapter) => adapter.subscriptions.map((subscription) => ({ ...subscription, adapter: adapter.name })))
    adapters.forEach((adapter, index) => {
      for (const { filter, shareable } of adapter.subscriptions) {
        let entry = this.distinct.find((candidate) => candidate.filter === filter && candidate.shareable === shareable)
        if (entry === undefined) {
          entry = { filter, shareable, adapters: new Set() }
          this.distinct.push(entry)
        }
        entry.adapters.add(index)
      }
    })
  }

  /**
   * One subscription per distinct filter: shareable ones as `$share/{shareGroup}/{filter}` when a
   * group is given, the others plain.
   */
  subscriptionPlan(shareGroup?: string): PlannedSubscription[] {
    return this.distinct.map(({ filter, shareable }, index) => ({
      topic: shareable && shareGroup !== undefined ? `$share/${shareGroup}/${filter}` : filter,
      subscriptionIdentifier: index + 1
    }))
  }

  /** The topic filters of `subscriptionPlan`, for one SUBSCRIBE without identifiers (MQTT 3.1.1). */
  topicFilters(shareGroup?: string): string[] {
    return this.subscriptionPlan(shareGroup).map((planned) => planned.topic)
  }

  /** `subscriptionIdentifiers`: those the PUBLISH carried (MQTT 5), to ask only the adapters of the filters that delivered it. */
  dispatch(topic: string, payload: Buffer, receivedAt: number, subscriptionIdentifiers?: number | number[]): Dispatched {
    const candidates = this.candidates(topic, subscriptionIdentifiers)
    for (const index of candidates) {
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
    // Another adapter's filter matches too: its own copy of the message decides, not this one.
    if (this.matching(topic).some((index) => !candidates.includes(index))) return { adapter: undefined, result: notMine }
    const reason = 'no adapter recognizes it'
    this.unrecognized?.count(NO_ADAPTER, reason, topic)
    return { adapter: undefined, result: { kind: 'unrecognized', reason } }
  }

  /** Adapter indexes to ask, in order. */
  private candidates(topic: string, subscriptionIdentifiers: number | number[] | undefined): number[] {
    const fromIdentifiers = new Set<number>()
    for (const id of [subscriptionIdentifiers ?? []].flat()) {
      for (const index of this.distinct[id - 1]?.adapters ?? []) fromIdentifiers.add(index)
    }
    const indexes = fromIdentifiers.size > 0 ? fromIdentifiers : new Set(this.matching(topic))
    return [...indexes].sort((a, b) => a - b)
  }

  /** The indexes of the adapters with a filter that matches `topic` (an adapter with two such filters twice). */
  private matching(topic: string): number[] {
    return this.distinct.filter(({ filter }) => topicMatchesFilter(topic, filter)).flatMap(({ adapters }) => [...adapters])
  }
}
