import type { LinkCounters } from './link-counters.js'

/** A snapshot of the fleet for the summary line; rates are over the time since the previous snapshot. */
export interface FleetSummary {
  devices: number
  connected: number
  readingsPerSecond: number
  readingsAcked: number
  commandsAcked: number
  commandsRefused: number
  /** Readings waiting in store-and-forward buffers now. */
  buffered: number
  dropped: number
  losses: number
  /** Average PUBLISH bytes per reading sent, and PUBACK bytes per reading acknowledged; undefined before any. */
  publishBytesPerReading: number | undefined
  pubackBytesPerReading: number | undefined
}

/** Turns the shared counters into summaries, one rate window per call. */
export class FleetSummarizer {
  private lastAcked = 0
  private lastAt: number

  constructor(
    private readonly counters: LinkCounters,
    private readonly devices: () => { count: number; buffered: number }
  ) {
    this.lastAt = Date.now()
  }

  take(now = Date.now()): FleetSummary {
    const c = this.counters
    const seconds = Math.max(0.001, (now - this.lastAt) / 1000)
    const rate = (c.readingsAcked - this.lastAcked) / seconds
    this.lastAcked = c.readingsAcked
    this.lastAt = now
    const { count, buffered } = this.devices()
    return {
      devices: count,
      connected: c.connected,
      readingsPerSecond: rate,
      readingsAcked: c.readingsAcked,
      commandsAcked: c.commandsAcked,
      commandsRefused: c.commandsRefused,
      buffered,
      dropped: c.readingsDropped,
      losses: c.losses,
      publishBytesPerReading: c.readingPublishes === 0 ? undefined : c.readingPublishBytes / c.readingPublishes,
      pubackBytesPerReading: c.pubacks === 0 ? undefined : c.pubackBytes / c.pubacks
    }
  }
}

/** The one-line form printed every few seconds. */
export function formatSummary(s: FleetSummary): string {
  const wire =
    s.publishBytesPerReading === undefined
      ? ''
      : `  wire ${s.publishBytesPerReading.toFixed(1)} B/reading PUBLISH${s.pubackBytesPerReading === undefined ? '' : ` + ${s.pubackBytesPerReading.toFixed(1)} B PUBACK`}`
  return (
    `connected ${s.connected}/${s.devices}  readings/s ${s.readingsPerSecond.toFixed(0)}  commands acked ${s.commandsAcked}` +
    ` (refused ${s.commandsRefused})  buffered ${s.buffered}  dropped ${s.dropped}  connection losses ${s.losses}${wire}`
  )
}
