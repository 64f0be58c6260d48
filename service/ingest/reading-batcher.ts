import type { Logger } from 'pino'
import type { HistoryStore } from '../history/history-store.js'
import type { Reading } from '../reading.js'

/** Group commit of readings into the history store, acknowledging each batch once stored (ReadingBatcher). */

export interface ReadingBatcherOptions {
  /** A batch is written once it holds this many readings; 500 by default. */
  maxBatch?: number
  /** ...or once its first reading has waited this long, ms; 5 by default. */
  maxDelayMs?: number
  /**
   * Readings waiting while a write is under way, at most; past it `add` says to stop reading from the
   * broker until `whenRoom`. 2 × maxBatch by default.
   */
  maxPending?: number
  /** After a failed write, the same batch is tried again after this long, ms, doubling up to 30 s; 200 by default. */
  retryMs?: number
}

/** A stored batch's readings, and how long the write that stored them took, s. */
export type StoredListener = (readings: readonly Reading[], writeSeconds: number) => void

interface Batch {
  readings: Reading[]
  /** Run once the batch is durable: the QoS 1 acknowledgements of the messages it came from. */
  acks: Array<() => void>
}

/**
 * Group commit for readings: they collect into a batch that is written to the history store when it is full
 * or after a few ms, whichever comes first; one write is under way at a time. A batch's acknowledgements run
 * only after the store's write resolved, so a reading the broker saw acknowledged is durable.
 *
 * Back-pressure: while a write is slow the next batch fills; at `maxPending` readings `add` returns false and
 * the caller stops taking messages until `whenRoom` resolves. A failed write is retried with the same batch,
 * unacknowledged, until it succeeds or the batcher closes: nothing is dropped, and whatever never got
 * stored was never acknowledged, so the broker delivers it again.
 */
export class ReadingBatcher {
  private current: Batch = { readings: [], acks: [] }
  private writing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private roomWaiters: Array<() => void> = []
  private closed = false
  private readonly maxBatch: number
  private readonly maxDelayMs: number
  private readonly maxPending: number
  private readonly retryMs: number
  /** Readings stored since the start. */
  stored = 0

  constructor(
    private readonly store: HistoryStore,
    private readonly logger: Pick<Logger, 'error'>,
    options: ReadingBatcherOptions = {},
    /** Told each batch once it is stored, before its acknowledgements go out, with how long its (last) write took. */
    private readonly onStored?: StoredListener
  ) {
    this.maxBatch = options.maxBatch ?? 500
    this.maxDelayMs = options.maxDelayMs ?? 5
    this.maxPending = options.maxPending ?? 2 * this.maxBatch
    this.retryMs = options.retryMs ?? 200
  }

  /** Queues readings and, if given, the acknowledgement of the message they came in; false: stop reading until `whenRoom`. */
  add(readings: readonly Reading[], ack?: () => void): boolean {
    this.current.readings.push(...readings)
    if (ack !== undefined) this.current.acks.push(ack)
    if (this.current.readings.length >= this.maxBatch) this.startWrite()
    else this.timer ??= setTimeout(() => this.startWrite(), this.maxDelayMs)
    return this.hasRoom()
  }

  /** Resolves once fewer than `maxPending` readings wait. */
  whenRoom(): Promise<void> {
    if (this.hasRoom() || this.closed) return Promise.resolve()
    return new Promise((resolve) => this.roomWaiters.push(resolve))
  }

  /**
   * Writes what is queued and waits for it, for at most `timeoutMs`; false if it was not all stored by then
   * (those readings stay unacknowledged). No retries start after this.
   */
  async close(timeoutMs: number): Promise<boolean> {
    const drained = (async () => {
      while (this.writing !== undefined || this.current.readings.length > 0 || this.current.acks.length > 0) {
        if (this.writing === undefined) this.startWrite()
        await this.writing
      }
    })()
    let timer: NodeJS.Timeout | undefined
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs)
    })
    const done = await Promise.race([drained.then(() => true), timedOut])
    clearTimeout(timer)
    this.closed = true
    clearTimeout(this.timer)
    this.releaseWaiters()
    return done
  }

  private hasRoom(): boolean {
    return this.writing === undefined || this.current.readings.length < this.maxPending
  }

  private startWrite(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.writing !== undefined || (this.current.readings.length === 0 && this.current.acks.length === 0)) return
    const batch = this.current
    this.current = { readings: [], acks: [] }
    this.writing = this.writeBatch(batch).finally(() => {
      this.writing = undefined
      this.releaseWaiters()
      if (this.closed) return
      if (this.current.readings.length >= this.maxBatch) this.startWrite()
      else if (this.current.readings.length > 0 || this.current.acks.length > 0)
        this.timer ??= setTimeout(() => this.startWrite(), this.maxDelayMs)
    })
  }

  private async writeBatch(batch: Batch): Promise<void> {
    let delay = this.retryMs
    let writeSeconds: number
    for (;;) {
      try {
        const started = performance.now()
        await this.store.write(batch.readings)
        writeSeconds = (performance.now() - started) / 1000
        break
      } catch (error) {
        if (this.closed) return
        this.logger.error(
          { err: error, readings: batch.readings.length },
          `history write failed; retrying in ${delay} ms, the readings stay unacknowledged`
        )
        await new Promise((resolve) => setTimeout(resolve, delay))
        if (this.closed) return
        delay = Math.min(delay * 2, 30_000)
      }
    }
    this.stored += batch.readings.length
    this.onStored?.(batch.readings, writeSeconds)
    for (const ack of batch.acks) ack()
  }

  private releaseWaiters(): void {
    if (!this.hasRoom() && !this.closed) return
    const waiters = this.roomWaiters
    this.roomWaiters = []
    for (const resolve of waiters) resolve()
  }
}
