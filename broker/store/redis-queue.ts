import type { Delivery } from '../message.js'
import { PagedQueue } from './paged-queue.js'
import type { ReadHandler, RedisCommand } from './redis-batch.js'
import { decodeDelivery, encodeDelivery } from './redis-codec.js'

/** What a queue needs from its store: writing to the current batch. */
export interface RedisQueueHost {
  write(command: RedisCommand, messageId?: number): void
  /** Writes read commands into the current batch; their answers come to `handler`. */
  read(commands: RedisCommand[], handler: ReadHandler): void
  /** A push that lives only in Redis went into the current batch (if that batch fails, the counts are re-read). */
  notePushRemote(queue: RedisQueue): void
}

/**
 * One session's queue: a Redis list, oldest at the head, paged (PagedQueue). Invariant: the list, once every written
 * command has run, is the window's deliveries followed by `restCount` more (`restBytes` of payload). A page read asks
 * for the entries after the window as it was when the read was written, with the list's length and byte count at that
 * point, and replaces what this side believed (plus what was pushed after the read was written), so a lost batch
 * cannot leave the counts wrong.
 */
export class RedisQueue extends PagedQueue<Delivery> {
  /** Pushes written after the read in flight: its answer does not count them. */
  private tailCount = 0
  private tailBytes = 0

  constructor(
    private readonly host: RedisQueueHost,
    private readonly keys: { queue: string; bytes: string },
    inRedis = { count: 0, bytes: 0 }
  ) {
    super((delivery) => delivery, inRedis)
  }

  /** A batch holding pushes that live only in Redis failed: the counts are read again. */
  onBatchFailed(): void {
    if (this.restCount > 0) this.readNext()
  }

  protected writePush(delivery: Delivery): Delivery {
    this.host.write(['rpush', this.keys.queue, encodeDelivery(delivery)], delivery.message.id)
    this.host.write(['incrby', this.keys.bytes, delivery.message.payload.length])
    return delivery
  }

  protected onRestPush(_delivery: Delivery, size: number): void {
    this.tailCount++
    this.tailBytes += size
    this.host.notePushRemote(this)
  }

  protected writeShift(delivery: Delivery): void {
    this.host.write(['lpop', this.keys.queue])
    this.host.write(['decrby', this.keys.bytes, delivery.message.payload.length])
  }

  protected writeClear(): void {
    this.host.write(['del', this.keys.queue, this.keys.bytes])
  }

  protected readPage(limit: number): void {
    this.tailCount = 0
    this.tailBytes = 0
    const generation = this.generation
    const start = this.window.length
    const windowBytes = this.window.bytes
    const commands: RedisCommand[] = [
      ['lrange', this.keys.queue, start, start + limit - 1],
      ['llen', this.keys.queue],
      ['get', this.keys.bytes]
    ]
    this.host.read(commands, (results) => {
      if (generation === this.generation) this.pageRead(generation, this.onPage(results, start, windowBytes))
    })
  }

  protected onReset(): void {
    this.tailCount = 0
    this.tailBytes = 0
  }

  private onPage(results: unknown[] | undefined, start: number, windowBytesThen: number): Delivery[] | undefined {
    if (results === undefined) return undefined
    const [entries, listLength, totalBytes] = results as [string[], number, string | null]
    const page = entries.map(decodeDelivery)
    const pageBytes = page.reduce((sum, delivery) => sum + delivery.message.payload.length, 0)
    this.restCount = Math.max(0, listLength - start - entries.length) + this.tailCount
    this.restBytes = Math.max(0, Number(totalBytes ?? 0) - windowBytesThen - pageBytes) + this.tailBytes
    this.tailCount = 0
    this.tailBytes = 0
    return page
  }
}
