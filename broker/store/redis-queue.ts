import type { Delivery } from '../message.js'
import { QueueWindow } from './queue-window.js'
import type { ReadHandler, RedisCommand } from './redis-batch.js'
import { decodeDelivery, encodeDelivery } from './redis-codec.js'
import type { SessionQueue } from './store.js'

/** How many deliveries of an offline session's queue stay in memory; the rest wait in Redis until the window drains. */
export const REDIS_QUEUE_WINDOW = 128
/** The same for a connected session, whose queue drains as fast as the client acknowledges (see sqlite-queue.ts). */
export const REDIS_ONLINE_QUEUE_WINDOW = 2048
/** After a failed page read, how long a waiting reader rests before it asks again. */
const RETRY_READ_MS = 100

/** What a queue needs from its store: writing to the current batch. */
export interface RedisQueueHost {
  write(command: RedisCommand, messageId?: number): void
  /** Writes read commands into the current batch; their answers come to `handler`. */
  read(commands: RedisCommand[], handler: ReadHandler): void
  /** A push that lives only in Redis went into the current batch (if that batch fails, the counts are re-read). */
  notePushRemote(queue: RedisQueue): void
}

/**
 * One session's queue: a Redis list, oldest at the head, paged. The oldest deliveries (at most REDIS_QUEUE_WINDOW,
 * REDIS_ONLINE_QUEUE_WINDOW while the session is connected) are also in `window`; the rest only in Redis.
 * Invariant: the list, once every written command has run, is the window's deliveries followed by `remoteCount`
 * more (`remoteBytes` of payload). A page read asks for the entries after the window as it was when the read was
 * written, with the list's length and byte count at that point, and replaces what this side believed (plus what was
 * pushed after the read was written), so a lost batch cannot leave the counts wrong.
 */
export class RedisQueue implements SessionQueue {
  private readonly window = new QueueWindow<Delivery>((delivery) => delivery.message.payload.length)
  private remoteCount: number
  private remoteBytes: number
  private reading = false
  /** Pushes written after the read in flight: its answer does not count them. */
  private tailCount = 0
  private tailBytes = 0
  /** Bumped by clear and detach, so the answer to a read written before them is dropped. */
  private generation = 0
  private waiters: Array<() => void> = []
  private windowLimit = REDIS_QUEUE_WINDOW

  constructor(
    private readonly host: RedisQueueHost,
    private readonly keys: { queue: string; bytes: string },
    inRedis = { count: 0, bytes: 0 }
  ) {
    this.remoteCount = inRedis.count
    this.remoteBytes = inRedis.bytes
  }

  get length(): number {
    return this.window.length + this.remoteCount
  }

  get bytes(): number {
    return this.window.bytes + this.remoteBytes
  }

  push(delivery: Delivery): void {
    const size = delivery.message.payload.length
    this.host.write(['rpush', this.keys.queue, encodeDelivery(delivery)], delivery.message.id)
    this.host.write(['incrby', this.keys.bytes, size])
    if (this.remoteCount === 0 && !this.reading && this.window.length < this.windowLimit) {
      this.window.push(delivery)
      return
    }
    this.remoteCount++
    this.remoteBytes += size
    if (this.reading) {
      this.tailCount++
      this.tailBytes += size
    }
    this.host.notePushRemote(this)
  }

  shift(): Delivery | undefined {
    const delivery = this.window.shift()
    if (delivery === undefined) {
      if (this.remoteCount > 0) this.readNext()
      return undefined
    }
    this.host.write(['lpop', this.keys.queue])
    this.host.write(['decrby', this.keys.bytes, delivery.message.payload.length])
    // Read ahead, so a draining queue rarely finds its window empty.
    if (this.remoteCount > 0 && this.window.length <= this.windowLimit / 4) this.readNext()
    return delivery
  }

  whenReadable(callback: () => void): void {
    if (this.window.length > 0 || this.remoteCount === 0) {
      queueMicrotask(callback)
      return
    }
    this.waiters.push(callback)
    this.readNext()
  }

  /** Going offline shrinks only what later pushes may add: what is in the window stays until it drains. */
  setOnline(online: boolean): void {
    this.windowLimit = online ? REDIS_ONLINE_QUEUE_WINDOW : REDIS_QUEUE_WINDOW
  }

  clear(): void {
    this.host.write(['del', this.keys.queue, this.keys.bytes])
    this.reset()
  }

  /** The session is gone: the store has deleted its keys; answers to reads in flight are dropped. */
  detach(): void {
    this.reset()
  }

  /** A batch holding pushes that live only in Redis failed: the counts are read again. */
  onBatchFailed(): void {
    if (this.remoteCount > 0) this.readNext()
  }

  private readNext(): void {
    if (this.reading) return
    this.reading = true
    this.tailCount = 0
    this.tailBytes = 0
    const generation = this.generation
    const start = this.window.length
    const windowBytes = this.window.bytes
    const limit = Math.max(1, this.windowLimit - start)
    const commands: RedisCommand[] = [
      ['lrange', this.keys.queue, start, start + limit - 1],
      ['llen', this.keys.queue],
      ['get', this.keys.bytes]
    ]
    this.host.read(commands, (results) => {
      if (generation === this.generation) this.onPage(results, start, windowBytes)
    })
  }

  private onPage(results: unknown[] | undefined, start: number, windowBytesThen: number): void {
    this.reading = false
    if (results === undefined) {
      setTimeout(() => this.wake(), RETRY_READ_MS).unref()
      return
    }
    const [entries, listLength, totalBytes] = results as [string[], number, string | null]
    let pageBytes = 0
    for (const entry of entries) {
      const delivery = decodeDelivery(entry)
      this.window.push(delivery)
      pageBytes += delivery.message.payload.length
    }
    this.remoteCount = Math.max(0, listLength - start - entries.length) + this.tailCount
    this.remoteBytes = Math.max(0, Number(totalBytes ?? 0) - windowBytesThen - pageBytes) + this.tailBytes
    this.tailCount = 0
    this.tailBytes = 0
    this.wake()
  }

  private reset(): void {
    this.generation++
    this.window.clear()
    this.remoteCount = 0
    this.remoteBytes = 0
    this.reading = false
    this.tailCount = 0
    this.tailBytes = 0
    this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    if (waiters.length === 0) return
    this.waiters = []
    for (const waiter of waiters) queueMicrotask(waiter)
  }
}
