import { LatencyHistogram } from './latency-histogram.js'
import { monotonicMs } from './monotonic-clock.js'

/** What the generator counts during a scenario; reset when the measured window opens. */
export class Tally {
  published = 0
  delivered = 0
  /** PUBACKs the QoS 1 publishers received. */
  acknowledged = 0
  /** Since the start, never reset: to check at the end that every acknowledged message was delivered. */
  deliveredTotal = 0
  acknowledgedTotal = 0
  readonly latency = new LatencyHistogram()

  /** One PUBLISH arrived at a subscriber, carrying the send time written by `PublishTemplate`. */
  recordDelivery(sentAtMs: number): void {
    this.delivered++
    this.deliveredTotal++
    this.latency.recordMs(monotonicMs() - sentAtMs)
  }

  recordAcks(count: number): void {
    this.acknowledged += count
    this.acknowledgedTotal += count
  }

  reset(): void {
    this.published = 0
    this.delivered = 0
    this.acknowledged = 0
    this.latency.reset()
  }
}
