import type { Delivery, Message } from '../message.js'
import { PagedQueue } from './paged-queue.js'
import { SeqList } from './seq-list.js'
import type { BatchValue } from './sqlite-batch-codec.js'
import type { PageRead, QueueResync } from './sqlite-protocol.js'
import { Op } from './sqlite-protocol.js'
import { subscriptionIdsText, toMessage, toSubscriptionIds } from './sqlite-schema.js'

/** What a queue needs from its store: writing to the current batch and numbering rows. */
export interface QueueHost {
  write(op: BatchValue[], message?: Message): void
  /** The row `seq` was taken from the queue, to be sent (it may stay in the log until its PUBACK: see SentRows). */
  shifted(clientId: string, seq: number, delivery: Delivery): void
  /** Writes a read (Op.Read or Op.Resync, its token left 0) into the current batch; the answer comes to the queue. */
  read(queue: SqliteQueue, op: BatchValue[]): number
  /** The next order key; one counter for every queue, so a key is never used twice. */
  nextSeq(): number
  /** A push that lives only on disk went into the current batch (if that batch fails, the queue re-reads its rows). */
  notePushOnDisk(queue: SqliteQueue): void
}

/** The Op.Push that writes `delivery` as queue row `seq` of the session; `packetId` when it goes out at once (SentRows). */
export function pushOperation(clientId: string, seq: number, delivery: Delivery, packetId: number | null): BatchValue[] {
  const { message } = delivery
  const retain = delivery.retain ? 1 : 0
  const subscriptionIds = subscriptionIdsText(delivery.subscriptionIds)
  return [Op.Push, clientId, seq, message.id, delivery.qos, retain, subscriptionIds, message.payload.length, packetId]
}

/** What a queue knows of its rows on disk when the store opens. */
export interface QueueOnDisk {
  count: number
  bytes: number
  /** The keys of its rows, ascending. */
  seqs: Float64Array
}

interface Item {
  seq: number
  delivery: Delivery
}

/**
 * One session's queue, paged (PagedQueue). Its rows are scattered through the queue table, which is ordered by the
 * global seq (the append order, see sqlite-schema.ts), so this side keeps the seqs of the rows that are only on disk,
 * `onDisk`, and reads a page by its keys. Invariants: every row with seq <= `loadedUpTo` is in the window or already
 * removed; `onDisk` holds the seqs after it, but for those of the read in flight (`requested`, still in `restCount`).
 * `firstSeq` is at most the seq of any row of the queue, so `clear` deletes the range from it to `lastSeq`.
 */
export class SqliteQueue extends PagedQueue<Item> {
  private readonly onDisk: SeqList
  private loadedUpTo = 0
  private firstSeq: number | undefined
  private lastSeq = 0
  /** The read in flight: its token (0 for none), how many rows it asked for and the last of their seqs. */
  private readToken = 0
  private requested = 0
  private requestedUpTo = 0
  /** Bytes pushed to disk since the resync in flight was written (its answer does not count them). */
  private resyncToken = 0
  private tailBytes = 0

  constructor(
    private readonly host: QueueHost,
    readonly clientId: string,
    onDisk?: QueueOnDisk
  ) {
    super((item) => item.delivery, onDisk)
    this.onDisk = new SeqList(onDisk?.seqs)
    this.firstSeq = onDisk?.seqs[0]
    this.lastSeq = onDisk === undefined || onDisk.count === 0 ? 0 : onDisk.seqs[onDisk.count - 1]
  }

  /** The range of seqs its rows may have, for deleting them all with the session; undefined when it has none. */
  get seqRange(): [number, number] | undefined {
    return this.firstSeq === undefined ? undefined : [this.firstSeq, this.lastSeq]
  }

  protected writePush(delivery: Delivery): Item {
    const seq = this.host.nextSeq()
    this.host.write(pushOperation(this.clientId, seq, delivery, null), delivery.message)
    this.firstSeq ??= seq
    this.lastSeq = seq
    return { seq, delivery }
  }

  protected onWindowPush(item: Item): void {
    this.loadedUpTo = item.seq
  }

  protected onRestPush(item: Item, size: number): void {
    this.onDisk.push(item.seq)
    if (this.resyncToken !== 0) this.tailBytes += size
    this.host.notePushOnDisk(this)
  }

  protected writeShift(item: Item): void {
    this.host.shifted(this.clientId, item.seq, item.delivery)
  }

  protected writeClear(): void {
    if (this.firstSeq !== undefined) this.host.write([Op.Clear, this.clientId, this.firstSeq, this.lastSeq])
  }

  protected readPage(limit: number): void {
    if (this.resyncToken !== 0) return // the resync's answer reads on
    const seqs = this.onDisk.take(limit)
    if (seqs.length === 0) {
      // Nothing is left on disk after all (the counts had drifted past the rows): the queue is the window.
      this.restCount = 0
      this.pageRead(this.generation, [])
      return
    }
    this.requested = seqs.length
    this.requestedUpTo = seqs[seqs.length - 1]
    this.readToken = this.host.read(this, [Op.Read, this.clientId, 0, new Uint8Array(seqs.buffer)])
  }

  onPage(read: PageRead): void {
    if (read.token !== this.readToken) return
    this.readToken = 0
    this.restCount -= this.requested
    this.restBytes -= read.bytes
    this.requested = 0
    if (this.requestedUpTo > this.loadedUpTo) this.loadedUpTo = this.requestedUpTo
    const items: Item[] = []
    for (const row of read.rows) {
      const delivery: Delivery = {
        message: toMessage(row),
        qos: row.delivery_qos as Delivery['qos'],
        retain: row.delivery_retain === 1,
        subscriptionIds: toSubscriptionIds(row.subscription_ids)
      }
      items.push({ seq: row.seq, delivery })
    }
    this.pageRead(this.generation, items)
  }

  /**
   * A batch holding pushes that live only on disk failed (it was rolled back): what is on disk after the window is
   * read again, and a read in flight is dropped for it.
   */
  onBatchFailed(): void {
    if (this.resyncToken !== 0 || this.restCount === 0) return
    this.restart()
    this.readToken = 0
    this.requested = 0
    this.tailBytes = 0
    this.resyncToken = this.host.read(this, [Op.Resync, this.clientId, 0, this.loadedUpTo + 1, this.lastSeq])
  }

  onResync(resync: QueueResync): void {
    if (resync.token !== this.resyncToken) return
    this.resyncToken = 0
    this.onDisk.replaceUpTo(resync.upTo, resync.seqs)
    this.restCount = this.onDisk.length
    this.restBytes = resync.bytes + this.tailBytes
    this.tailBytes = 0
    this.pageRead(this.generation, [])
  }

  protected onReset(): void {
    this.onDisk.clear()
    this.readToken = 0
    this.requested = 0
    this.resyncToken = 0
    this.tailBytes = 0
    this.firstSeq = undefined
    this.loadedUpTo = Number.MAX_SAFE_INTEGER // every row written so far is gone; new pushes go to the window
  }
}
