import type { Outgoing } from './crash-publisher.js'
import type { Received } from './mqtt-inbox.js'

/**
 * Numbered messages for a CrashPublisher, odd ones at QoS 1 and even ones at QoS 2, on `<prefix>/q1` and
 * `<prefix>/q2`; the payload a subscriber receives is the number, so a test can tell which QoS 2 came twice.
 */
export class NumberedMessages {
  private readonly qosOf = new Map<number, 1 | 2>()
  private seq = 0

  constructor(private readonly prefix: string) {}

  /** The next message, for CrashPublisher.start. */
  readonly next = (): Outgoing => {
    const seq = ++this.seq
    const qos = seq % 2 === 0 ? 2 : 1
    this.qosOf.set(seq, qos)
    return { seq, qos, topic: `${this.prefix}/q${qos}` }
  }

  /** The QoS 2 messages that reached the application more than once. */
  qos2Twice(received: readonly Received[]): number[] {
    const counts = new Map<number, number>()
    for (const message of received) {
      const n = Number(message.payload.toString())
      if (this.qosOf.get(n) === 2) counts.set(n, (counts.get(n) ?? 0) + 1)
    }
    return [...counts].filter(([, count]) => count > 1).map(([n]) => n)
  }
}
