import type { Delivery } from '../message.js'
import { QueueWindow } from './queue-window.js'
import type { SessionQueue } from './store.js'

/** How many deliveries of an offline session's queue stay in memory; the rest wait in the store until the window drains. */
export const QUEUE_WINDOW = 128
/**
 * The same for a connected session, whose queue is the line behind its in-flight window and drains as fast as
 * the client acknowledges: kept in memory up to this many, it is never read back from the store. A consumer that
 * acknowledges only after its own write (the service) keeps a window's worth waiting here all the time.
 */
export const ONLINE_QUEUE_WINDOW = 2048
/** After a failed page read, how long a waiting reader rests before it asks again. */
const RETRY_READ_MS = 100

/**
 * One session's queue in a store that keeps it off the heap (SQLite, Redis): the oldest deliveries (at most
 * QUEUE_WINDOW, ONLINE_QUEUE_WINDOW while the session is connected) are in `window`, the `restCount` after them
 * (`restBytes` of payload) only in the store, as far as this side knows. A push goes to the window while nothing waits
 * in the store and the window has room; a shift that finds the window low reads the next page. The backend writes the
 * operations and reads pages; this class keeps the window, the counts and the waiting readers.
 *
 * A read answered after `clear` or `detach` (or `restart`) is dropped: each bumps `generation`, and a subclass hands
 * `pageRead` the generation its read was written in.
 */
export abstract class PagedQueue<Item> implements SessionQueue {
  protected readonly window: QueueWindow<Item>
  protected restCount: number
  protected restBytes: number
  protected generation = 0
  private reading = false
  private waiters: Array<() => void> = []
  private windowLimit = QUEUE_WINDOW

  constructor(
    private readonly deliveryOf: (item: Item) => Delivery,
    inStore = { count: 0, bytes: 0 }
  ) {
    this.window = new QueueWindow<Item>((item) => deliveryOf(item).message.payload.length)
    this.restCount = inStore.count
    this.restBytes = inStore.bytes
  }

  /** Writes the push to the store and returns the item the window would hold. */
  protected abstract writePush(delivery: Delivery): Item
  /** Writes the removal of the oldest delivery, `item`, just taken from the window. */
  protected abstract writeShift(item: Item): void
  protected abstract writeClear(): void
  /** Writes a read of the next `limit` deliveries after the window; its answer goes to `pageRead`. */
  protected abstract readPage(limit: number): void
  /** A push that went to the window too. */
  protected onWindowPush(_item: Item): void {}
  /** A push that went to the store only (not the window): what the backend keeps of it. */
  protected onRestPush(_item: Item, _size: number): void {}
  /** The queue was emptied (clear, detach): what the backend keeps of the store's part goes too. */
  protected onReset(): void {}

  get length(): number {
    return this.window.length + this.restCount
  }

  get bytes(): number {
    return this.window.bytes + this.restBytes
  }

  push(delivery: Delivery): void {
    const item = this.writePush(delivery)
    if (this.restCount === 0 && !this.reading && this.window.length < this.windowLimit) {
      this.window.push(item)
      this.onWindowPush(item)
      return
    }
    const size = delivery.message.payload.length
    this.restCount++
    this.restBytes += size
    this.onRestPush(item, size)
  }

  shift(): Delivery | undefined {
    const item = this.window.shift()
    if (item === undefined) {
      if (this.restCount > 0) this.readNext()
      return undefined
    }
    this.writeShift(item)
    // Read ahead, so a draining queue rarely finds its window empty.
    if (this.restCount > 0 && this.window.length <= this.windowLimit / 4) this.readNext()
    return this.deliveryOf(item)
  }

  whenReadable(callback: () => void): void {
    if (this.window.length > 0 || this.restCount === 0) {
      queueMicrotask(callback)
      return
    }
    this.waiters.push(callback)
    this.readNext()
  }

  /** Going offline shrinks only what later pushes may add: what is in the window stays until it drains. */
  setOnline(online: boolean): void {
    this.windowLimit = online ? ONLINE_QUEUE_WINDOW : QUEUE_WINDOW
  }

  clear(): void {
    this.writeClear()
    this.reset()
  }

  /** The session is gone: the store has deleted what it held; answers to reads in flight are dropped. */
  detach(): void {
    this.reset()
  }

  protected readNext(): void {
    if (this.reading) return
    this.reading = true
    this.readPage(Math.max(1, this.windowLimit - this.window.length))
  }

  /**
   * The answer to a read written in `generation`: `items` go to the window (the subclass has set the counts), or
   * `undefined` when the read failed, to be tried again shortly by whoever waits.
   */
  protected pageRead(generation: number, items: readonly Item[] | undefined): void {
    if (generation !== this.generation) return
    this.reading = false
    if (items === undefined) {
      setTimeout(() => this.wake(), RETRY_READ_MS).unref()
      return
    }
    for (const item of items) this.window.push(item)
    if (this.restCount === 0) this.restBytes = 0
    if (this.window.length === 0 && this.restCount > 0) {
      this.readNext() // nothing readable came (rows without their message were skipped): go on
      return
    }
    this.wake()
  }

  /** Forgets what was read or believed so far; a read in flight is dropped (not its waiters: they are woken). */
  protected restart(): void {
    this.generation++
    this.reading = false
  }

  private reset(): void {
    this.restart()
    this.window.clear()
    this.restCount = 0
    this.restBytes = 0
    this.onReset()
    this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    if (waiters.length === 0) return
    this.waiters = []
    for (const waiter of waiters) queueMicrotask(waiter)
  }
}
