import type { Delivery } from '../message.js'
import { QueueWindow } from './queue-window.js'
import type { SessionQueue } from './store.js'

/** A session queue in memory: all of it is window. */
export class MemoryQueue implements SessionQueue {
  private readonly window = new QueueWindow<Delivery>((delivery) => delivery.message.payload.length)

  get length(): number {
    return this.window.length
  }

  get bytes(): number {
    return this.window.bytes
  }

  push(delivery: Delivery): void {
    this.window.push(delivery)
  }

  shift(): Delivery | undefined {
    return this.window.shift()
  }

  /** Everything is in memory: shift never waits. */
  whenReadable(callback: () => void): void {
    queueMicrotask(callback)
  }

  /** Everything is in memory anyway. */
  setOnline(): void {}

  clear(): void {
    this.window.clear()
  }
}
