import type { Delivery } from '../message.js'
import { PagedQueue } from './paged-queue.js'
import { LazyArgument, type ReadHandler, type RedisCommand, type WrittenCommand } from './redis-batch.js'
import { decodeDelivery, encodeDelivery } from './redis-codec.js'

/** What a queue needs from its store: writing to the current batch. */
export interface RedisQueueHost {
  /** Adds `command` to the current batch and returns that batch's serial. */
  write(command: WrittenCommand, messageId?: number): number
  /** Takes `commands` back from the batch `serial` while it has not gone (RedisBatch.cancel); false once it has. */
  cancel(serial: number, ...commands: WrittenCommand[]): boolean
  /** Writes read commands into the current batch; their answers come to `handler`. */
  read(commands: RedisCommand[], handler: ReadHandler): void
  /** A push that lives only in Redis went into the current batch (if that batch fails, the counts are re-read). */
  notePushRemote(queue: RedisQueue): void
}

/** A push into the window whose batch has not gone yet: taken back, with its shift, if the shift joins that batch. */
interface UnsentPush {
  readonly delivery: Delivery
  readonly batch: number
  readonly push: WrittenCommand
  readonly bytes: WrittenCommand
}

/**
 * One session's queue: a Redis list, oldest at the head, paged (PagedQueue). Invariant: the list, once every written
 * command has run, is the window's deliveries followed by `restCount` more (`restBytes` of payload). A page read asks
 * for the entries after the window as it was when the read was written, with the list's length and byte count at that
 * point, and replaces what this side believed (plus what was pushed after the read was written), so a lost batch
 * cannot leave the counts wrong.
 *
 * A delivery pushed and shifted within one batch (a connected session with room in its in-flight window takes it at
 * once) is never written: the shift takes back the push's RPUSH and INCRBY instead of adding LPOP and DECRBY. The
 * list is a FIFO, so whatever was ahead of it is popped ahead of it in the batch and the others' places do not
 * change. A page read counts places in the list, so none is taken back across one.
 */
export class RedisQueue extends PagedQueue<Delivery> {
  /** Pushes written after the read in flight: its answer does not count them. */
  private tailCount = 0
  private tailBytes = 0
  /** The last push, until PagedQueue says whether it went to the window. */
  private lastPush: UnsentPush | undefined
  /** Pushes into the window in a batch that may still be open, oldest first. */
  private unsent: UnsentPush[] = []

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
    const push: WrittenCommand = ['rpush', this.keys.queue, new LazyArgument(() => encodeDelivery(delivery))]
    const bytes: WrittenCommand = ['incrby', this.keys.bytes, delivery.message.payload.length]
    const batch = this.host.write(push, delivery.message.id)
    // A batch that filled up and went between the two leaves nothing to take back.
    if (this.host.write(bytes) === batch) this.lastPush = { delivery, batch, push, bytes }
    return delivery
  }

  protected onWindowPush(delivery: Delivery): void {
    const push = this.lastPush
    this.lastPush = undefined
    if (push?.delivery !== delivery) return
    if (this.unsent.length > 0 && this.unsent[this.unsent.length - 1].batch !== push.batch) this.unsent = []
    this.unsent.push(push)
  }

  protected onRestPush(_delivery: Delivery, size: number): void {
    this.lastPush = undefined
    this.tailCount++
    this.tailBytes += size
    this.host.notePushRemote(this)
  }

  protected writeShift(delivery: Delivery): void {
    const oldest = this.unsent[0]
    if (oldest?.delivery === delivery) {
      this.unsent.shift()
      if (this.host.cancel(oldest.batch, oldest.push, oldest.bytes)) return
      this.unsent = [] // that batch has gone, and every push in the list is of one batch
    }
    this.host.write(['lpop', this.keys.queue])
    this.host.write(['decrby', this.keys.bytes, delivery.message.payload.length])
  }

  protected writeClear(): void {
    this.unsent = []
    this.host.write(['del', this.keys.queue, this.keys.bytes])
  }

  protected readPage(limit: number): void {
    this.unsent = []
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
    this.unsent = []
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
