import { LatencyHistogram } from './latency-histogram.js'
import { monotonicMs } from './monotonic-clock.js'

/** What the generator counts during a scenario; reset when the measured window opens. */
export class Tally {
  published = 0
  delivered = 0
  readonly latency = new LatencyHistogram()

  /** One PUBLISH arrived at a subscriber, carrying the send time written by `PublishTemplate`. */
  recordDelivery (sentAtMs: number): void {
    this.delivered++
    this.latency.recordMs(monotonicMs() - sentAtMs)
  }

  reset (): void {
    this.published = 0
    this.delivered = 0
    this.latency.reset()
  }
}
