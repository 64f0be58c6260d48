import type { Delivery } from '../message.js'
import type { SessionQueue } from './store.js'

/** A session queue in memory: an array used as a ring-less deque, compacted as its head advances. */
export class MemoryQueue implements SessionQueue {
  private items: Delivery[] = []
  private head = 0
  private byteCount = 0

  get length(): number {
    return this.items.length - this.head
  }

  get bytes(): number {
    return this.byteCount
  }

  push(delivery: Delivery): void {
    this.items.push(delivery)
    this.byteCount += delivery.message.payload.length
  }

  shift(): Delivery | undefined {
    if (this.head >= this.items.length) return undefined
    const delivery = this.items[this.head]
    this.items[this.head++] = undefined as unknown as Delivery
    this.byteCount -= delivery.message.payload.length
    if (this.head === this.items.length) {
      this.items = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head)
      this.head = 0
    }
    return delivery
  }

  /** Everything is in memory: shift never waits. */
  whenReadable(callback: () => void): void {
    queueMicrotask(callback)
  }

  /** Everything is in memory anyway. */
  setOnline(): void {}

  clear(): void {
    this.items = []
    this.head = 0
    this.byteCount = 0
  }
}
