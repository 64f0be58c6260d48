import type { Logger } from 'pino'

/**
 * Counts the payloads ingest could not read, per adapter and reason, and logs them at most once per
 * interval: a device that sends garbage every second must not flood the log, and must not go unseen.
 * The first one is logged at once; later ones are summed into the next line (or `flush`).
 * Distinct (adapter, reason) pairs are capped: reasons may quote payload text, and the counter must
 * not grow with what devices send.
 */

export interface UnrecognizedCount {
  adapter: string
  reason: string
  count: number
  /** The last topic it happened on. */
  topic: string
}

export interface UnrecognizedPayloadsOptions {
  /** At most one log line per this many ms; 60 000 by default. */
  intervalMs?: number
  /** The clock, for tests. */
  now?: () => number
}

const MAX_REASONS = 200
const OTHER_REASONS = 'other reasons'

export class UnrecognizedPayloads {
  private readonly totals = new Map<string, UnrecognizedCount>()
  /** Counted since the last log line. */
  private pending = new Map<string, UnrecognizedCount>()
  private nextLogAt = -Infinity
  private readonly intervalMs: number
  private readonly now: () => number

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    options: UnrecognizedPayloadsOptions = {}
  ) {
    this.intervalMs = options.intervalMs ?? 60_000
    this.now = options.now ?? Date.now
  }

  count(adapter: string, reason: string, topic: string): void {
    const key = this.keyFor(adapter, reason)
    const counted = key === `${adapter}\n${reason}` ? reason : OTHER_REASONS
    bump(this.totals, key, adapter, counted, topic)
    bump(this.pending, key, adapter, counted, topic)
    if (this.now() >= this.nextLogAt) this.flush()
  }

  /** Every count since the start, most frequent first. */
  snapshot(): UnrecognizedCount[] {
    return [...this.totals.values()].map((entry) => ({ ...entry })).sort((a, b) => b.count - a.count)
  }

  /** Logs what was counted since the last line, if anything; ingest calls it on a timer and at close. */
  flush(): void {
    if (this.pending.size === 0) return
    const entries = [...this.pending.values()].sort((a, b) => b.count - a.count)
    const total = entries.reduce((sum, entry) => sum + entry.count, 0)
    this.logger.warn({ unrecognized: entries }, `${total} payload${total === 1 ? '' : 's'} no adapter could read`)
    this.pending = new Map()
    this.nextLogAt = this.now() + this.intervalMs
  }

  private keyFor(adapter: string, reason: string): string {
    const key = `${adapter}\n${reason}`
    return this.totals.has(key) || this.totals.size < MAX_REASONS ? key : `${adapter}\n${OTHER_REASONS}`
  }
}

function bump(counts: Map<string, UnrecognizedCount>, key: string, adapter: string, reason: string, topic: string): void {
  const entry = counts.get(key)
  if (entry === undefined) counts.set(key, { adapter, reason, count: 1, topic })
  else {
    entry.count++
    entry.topic = topic
  }
}
