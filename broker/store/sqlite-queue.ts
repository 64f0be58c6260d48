import type { Delivery, Message } from '../message.js'
import { QueueWindow } from './queue-window.js'
import type { BatchValue } from './sqlite-batch-codec.js'
import type { PageRead } from './sqlite-protocol.js'
import { Op } from './sqlite-protocol.js'
import { subscriptionIdsText, toMessage, toSubscriptionIds } from './sqlite-schema.js'
import type { SessionQueue } from './store.js'

/** How many deliveries of an offline session's queue stay in memory; the rest wait on disk until the window drains. */
export const QUEUE_WINDOW = 128
/**
 * The same for a connected session, whose queue is the line behind its in-flight window and drains as fast as
 * the client acknowledges: kept in memory up to this many, it is never read back from disk. A consumer that
 * acknowledges only after its own write (the service) keeps a window's worth waiting here all the time.
 */
export const ONLINE_QUEUE_WINDOW = 2048

/** What a queue needs from its store: writing to the current batch and numbering rows. */
export interface QueueHost {
  write(op: BatchValue[], message?: Message): void
  /** Writes a page read into the current batch; its answer comes to `queue.onPage`. */
  read(queue: SqliteQueue, clientId: string, afterSeq: number, limit: number): number
  /** The next order key; one counter for every queue, so a key is never used twice. */
  nextSeq(): number
  /** A push that lives only on disk went into the current batch (if that batch fails, the count is re-read). */
  notePushOnDisk(queue: SqliteQueue): void
}

interface Item {
  seq: number
  delivery: Delivery
}

/**
 * One session's queue, paged: the oldest deliveries (at most QUEUE_WINDOW, ONLINE_QUEUE_WINDOW while the session is
 * connected) are in `window`, the rest only
 * on disk. Invariants: every row with seq <= `loadedUpTo` is in the window or already removed; `diskCount`
 * and `diskBytes` count the rows after it, as far as this side knows. A page read answers with the rows
 * after `loadedUpTo` and the count and bytes left behind them, which replaces what this side believed (plus
 * what was pushed after the read was written) — so a lost batch or a salvaged file cannot leave the counts wrong.
 */
export class SqliteQueue implements SessionQueue {
  private readonly window = new QueueWindow<Item>((item) => item.delivery.message.payload.length)
  private diskCount: number
  private diskBytes: number
  private loadedUpTo = 0
  /** The page read in flight, 0 when none; pushes after it are counted in tailCount / tailBytes. */
  private readToken = 0
  private tailCount = 0
  private tailBytes = 0
  private waiters: Array<() => void> = []
  private windowLimit = QUEUE_WINDOW

  constructor(
    private readonly host: QueueHost,
    readonly clientId: string,
    onDisk = { count: 0, bytes: 0 }
  ) {
    this.diskCount = onDisk.count
    this.diskBytes = onDisk.bytes
  }

  get length(): number {
    return this.window.length + this.diskCount
  }

  get bytes(): number {
    return this.window.bytes + this.diskBytes
  }

  push(delivery: Delivery): void {
    const seq = this.host.nextSeq()
    const message = delivery.message
    const size = message.payload.length
    this.host.write(
      [Op.Push, this.clientId, seq, message.id, delivery.qos, delivery.retain ? 1 : 0, subscriptionIdsText(delivery.subscriptionIds), size],
      message
    )
    if (this.diskCount === 0 && this.readToken === 0 && this.window.length < this.windowLimit) {
      this.window.push({ seq, delivery })
      this.loadedUpTo = seq
      return
    }
    this.diskCount++
    this.diskBytes += size
    if (this.readToken !== 0) {
      this.tailCount++
      this.tailBytes += size
    }
    this.host.notePushOnDisk(this)
  }

  shift(): Delivery | undefined {
    const item = this.window.shift()
    if (item === undefined) {
      if (this.diskCount > 0) this.readNext()
      return undefined
    }
    this.host.write([Op.Shift, this.clientId, item.seq])
    // Read ahead, so a draining queue rarely finds its window empty.
    if (this.diskCount > 0 && this.window.length <= this.windowLimit / 4) this.readNext()
    return item.delivery
  }

  whenReadable(callback: () => void): void {
    if (this.window.length > 0 || this.diskCount === 0) {
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
    this.host.write([Op.Clear, this.clientId])
    this.reset()
  }

  /** The session is gone: the store has deleted the rows; answers to reads in flight are dropped. */
  detach(): void {
    this.reset()
  }

  onPage(read: PageRead): void {
    if (read.token !== this.readToken) return
    this.readToken = 0
    for (const row of read.rows) {
      const delivery: Delivery = {
        message: toMessage(row),
        qos: row.delivery_qos as Delivery['qos'],
        retain: row.delivery_retain === 1,
        subscriptionIds: toSubscriptionIds(row.subscription_ids)
      }
      this.window.push({ seq: row.seq, delivery })
    }
    if (read.last > this.loadedUpTo) this.loadedUpTo = read.last
    this.diskCount = read.restCount + this.tailCount
    this.diskBytes = read.restBytes + this.tailBytes
    this.tailCount = 0
    this.tailBytes = 0
    if (this.window.length === 0 && this.diskCount > 0) {
      this.readNext() // nothing readable came (rows without their message were skipped): go on
      return
    }
    this.wake()
  }

  /** A batch holding pushes that live only on disk failed: what is on disk is read again. */
  onBatchFailed(): void {
    if (this.readToken === 0 && this.diskCount > 0) this.readNext()
  }

  private readNext(): void {
    if (this.readToken !== 0) return
    this.tailCount = 0
    this.tailBytes = 0
    this.readToken = this.host.read(this, this.clientId, this.loadedUpTo, Math.max(1, this.windowLimit - this.window.length))
  }

  private reset(): void {
    this.window.clear()
    this.diskCount = 0
    this.diskBytes = 0
    this.readToken = 0
    this.tailCount = 0
    this.tailBytes = 0
    this.loadedUpTo = Number.MAX_SAFE_INTEGER // every row written so far is gone; new pushes go to the window
    this.wake()
  }

  private wake(): void {
    const waiters = this.waiters
    if (waiters.length === 0) return
    this.waiters = []
    for (const waiter of waiters) queueMicrotask(waiter)
  }
}
