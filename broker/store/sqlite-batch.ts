import type { Message } from '../message.js'
import { CommitBatch } from './group-commit.js'
import { encodeProperties } from './properties-json.js'
import { type BatchValue, BatchWriter } from './sqlite-batch-codec.js'
import { Op } from './sqlite-protocol.js'
import type { SqliteQueue } from './sqlite-queue.js'

/** The in-flight writes of one packet id in a batch: their indexes in `ops`, and whether one made the record new. */
interface InflightWrites {
  readonly indexes: number[]
  created: boolean
}

/**
 * Operations written since the last send, committed together in one transaction by the worker (group commit:
 * see SqliteStore). Every message the operations reference travels once with the batch.
 *
 * Work undone within the batch is dropped before it reaches SQLite: a queue row shifted in the batch that pushed
 * it (seqs are never reused, so no row of it exists on disk) goes with its push, the shifts of a queue's older rows
 * become one that moves its head past the last of them, a row sent in the batch that pushed it is pushed sent, the
 * mark of a row sent goes when the head passes it in the same batch, and an in-flight row deleted in
 * the batch that wrote it goes too. So does that delete when the batch wrote the record new (state 'publish': no
 * row of its packet id is left on disk, see Store.saveInflight); otherwise it stays, for the row an older batch wrote.
 * A message no live operation references is not written at all: a subscriber that acknowledged it before the
 * commit no longer needs it.
 */
export class Batch extends CommitBatch {
  /** In order; undefined where an operation was dropped. */
  readonly ops: Array<BatchValue[] | undefined> = []
  /**
   * The message each operation of `ops` references, at the same index. Kept by operation rather than counted by
   * message, so adding and dropping an operation costs no lookup: encode writes the messages of the live ones.
   */
  private readonly opMessages: Array<Message | undefined> = []
  private liveOps = 0
  /** Push operations of this batch by seq. */
  private readonly pushes = new Map<number, number>()
  /** Sent operations of this batch (for rows pushed by older batches) by seq. */
  private readonly sents = new Map<number, number>()
  /** The live Shift operation of this batch of each queue: a later shift of the queue moves its head instead. */
  private readonly heads = new Map<string, BatchValue[]>()
  /** In-flight writes of this batch, by client id and packet id. */
  private readonly inflight = new Map<string, Map<number, InflightWrites>>()
  lastMessageId = 0
  /** Queues with pushes kept only on disk in this batch: if it fails they re-read their counts. */
  readonly diskPushes = new Set<SqliteQueue>()

  constructor(readonly id: number) {
    super()
  }

  /** Operations written, dropped ones included: what the batch limit counts. */
  get length(): number {
    return this.ops.length
  }

  add(op: BatchValue[], message: Message | undefined): void {
    switch (op[0]) {
      case Op.Shift: {
        const pushedAt = this.pushes.get(op[2] as number)
        if (pushedAt !== undefined) {
          this.drop(pushedAt)
          return
        }
        const sentAt = this.sents.get(op[2] as number)
        if (sentAt !== undefined) this.drop(sentAt) // the head passes the row: who it went to no longer matters
        const head = this.heads.get(op[1] as string)
        if (head !== undefined) {
          head[2] = op[2] // shifts come in seq order: the latest says all
          return
        }
        this.heads.set(op[1] as string, op)
        break
      }
      case Op.Clear:
      case Op.DeleteSession:
        this.heads.delete(op[1] as string) // a shift after it must come after it
        break
      case Op.Push:
        this.pushes.set(op[2] as number, this.ops.length)
        break
      case Op.Sent: {
        const pushedAt = this.pushes.get(op[2] as number)
        if (pushedAt !== undefined) {
          this.ops[pushedAt]![8] = op[3] // the row is written sent
          return
        }
        this.sents.set(op[2] as number, this.ops.length)
        break
      }
      case Op.Inflight:
        this.noteInflight(op[1] as string, op[2] as number, op[3] === 'publish')
        break
      case Op.DeleteInflight: {
        const writes = this.takeInflight(op[1] as string, op[2] as number)
        if (writes === undefined) break
        for (const at of writes.indexes) this.drop(at)
        if (writes.created) return
        break
      }
    }
    this.ops.push(op)
    this.opMessages.push(message)
    this.liveOps++
    if (message !== undefined && message.id > this.lastMessageId) this.lastMessageId = message.id
  }

  /** The batch's bytes for the worker: its referenced messages, then its live operations (sqlite-batch-codec.ts). */
  encode(): { buffer: ArrayBuffer; length: number } {
    const messages = this.liveMessages()
    let size = 64 + this.liveOps * 48
    for (const m of messages) size += m.payload.length + m.topic.length * 3 + 64
    const writer = new BatchWriter(messages.length, this.liveOps, size)
    for (const m of messages) {
      // MESSAGE_FIELDS values, in the order of the worker's insert.
      writer.value(m.id)
      writer.value(m.topic)
      writer.value(m.payload)
      writer.value(m.qos)
      writer.value(m.retain ? 1 : 0)
      writer.value(encodeProperties(m.properties))
      writer.value(m.expiresAt)
      writer.value(m.receivedAt)
      writer.value(m.origin)
    }
    for (const op of this.ops) {
      if (op === undefined) continue
      writer.operation(op.length)
      for (const value of op) writer.value(value)
    }
    return writer.finish()
  }

  /** Each message a live operation references, once. */
  private liveMessages(): Message[] {
    const messages: Message[] = []
    const seen = new Set<number>()
    let previous: Message | undefined
    for (let at = 0; at < this.ops.length; at++) {
      const message = this.opMessages[at]
      // An offline fan-out references one message from many operations in a row: only the first needs the set.
      if (message === undefined || message === previous || this.ops[at] === undefined) continue
      previous = message
      if (seen.has(message.id)) continue
      seen.add(message.id)
      messages.push(message)
    }
    return messages
  }

  private drop(at: number): void {
    this.ops[at] = undefined
    this.liveOps--
  }

  private noteInflight(clientId: string, packetId: number, created: boolean): void {
    let byPacket = this.inflight.get(clientId)
    if (byPacket === undefined) {
      byPacket = new Map()
      this.inflight.set(clientId, byPacket)
    }
    const writes = byPacket.get(packetId)
    if (writes === undefined) {
      byPacket.set(packetId, { indexes: [this.ops.length], created })
      return
    }
    writes.indexes.push(this.ops.length)
    if (created) writes.created = true
  }

  private takeInflight(clientId: string, packetId: number): InflightWrites | undefined {
    const byPacket = this.inflight.get(clientId)
    const writes = byPacket?.get(packetId)
    if (writes !== undefined) byPacket!.delete(packetId)
    return writes
  }
}
