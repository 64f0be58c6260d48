import type { ReadingMessage } from '../common/contract/reading-message.js'

/**
 * Store-and-forward: readings waiting to be sent, oldest first, including those taken while the link
 * was down. Bounded: when full the oldest is dropped (the newest says more about now) and counted.
 */
export class ReadingBuffer {
  private readonly items: ReadingMessage[] = []
  /** Readings dropped because the buffer was full, since the device started. */
  dropped = 0

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`buffer limit must be at least 1, not ${limit}`)
  }

  get length(): number {
    return this.items.length
  }

  /** Adds a reading; returns true when an old one had to go to make room. */
  push(reading: ReadingMessage): boolean {
    this.items.push(reading)
    if (this.items.length <= this.limit) return false
    this.items.shift()
    this.dropped++
    return true
  }

  shift(): ReadingMessage | undefined {
    return this.items.shift()
  }

  /** Puts readings that were sent but never acknowledged back at the front, in their order. */
  requeue(readings: readonly ReadingMessage[]): number {
    this.items.unshift(...readings)
    const over = Math.max(0, this.items.length - this.limit)
    if (over > 0) {
      this.items.splice(0, over)
      this.dropped += over
    }
    return over
  }
}
