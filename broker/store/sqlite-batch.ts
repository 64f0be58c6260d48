import type { Message } from '../message.js'
import { CommitBatch } from './group-commit.js'
import { encodeProperties } from './properties-json.js'
import { type BatchValue, BatchWriter } from './sqlite-batch-codec.js'
import { INLINE_MESSAGE_VALUES, Op } from './sqlite-protocol.js'
import type { SqliteQueue } from './sqlite-queue.js'

/** The in-flight writes of one packet id in a batch: their indexes in `ops`, and whether one made the record new. */
interface InflightWrites {
  readonly indexes: number[]
  created: boolean
}

/** A message's values but its id, in the order of the worker's inserts (MESSAGE_FIELDS after the id; INLINE_MESSAGE_VALUES). */
function writeMessageBody(writer: BatchWriter, m: Message): void {
  writer.value(m.topic)
  writer.value(m.payload)
  writer.value(m.qos)
  writer.value(m.retain ? 1 : 0)
  writer.value(encodeProperties(m.properties))
  writer.value(m.expiresAt)
  writer.value(m.receivedAt)
  writer.value(m.origin)
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
  /** In order; undefined where an operation was dropped. Let go once encoded, with everything else kept per operation. */
  private ops: Array<BatchValue[] | undefined> = []
  /**
   * The message each operation of `ops` references, at the same index. Kept by operation rather than counted by
   * message, so adding and dropping an operation costs no lookup: encode writes the messages of the live ones.
   */
  private opMessages: Array<Message | undefined> = []
  private written = 0
  private liveOps = 0
  /**
   * The seqs of this batch's push operations, ascending, and each one's index in `ops`: seqs come from one counter
   * and a push is written as it is numbered (SqliteStore), so a batch's pushes arrive in seq order and are found by
   * a binary search, without a map entry per queued message.
   */
  private pushSeqs: number[] = []
  private pushIndexes: number[] = []
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
    return this.written
  }

  add(op: BatchValue[], message: Message | undefined): void {
    switch (op[0]) {
      case Op.Shift: {
        const pushedAt = this.pushedAt(op[2] as number)
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
        this.pushSeqs.push(op[2] as number)
        this.pushIndexes.push(this.ops.length)
        break
      case Op.Sent: {
        const pushedAt = this.pushedAt(op[2] as number)
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
    this.written++
    this.liveOps++
    if (message !== undefined && message.id > this.lastMessageId) this.lastMessageId = message.id
  }

  /**
   * The batch's bytes for the worker: the messages it refers to, then its live operations (sqlite-batch-codec.ts).
   * A message only one push refers to travels inside that push, and the worker stores it inline in the queue row
   * (store format 5: see QUEUE_INLINE_SQL); the others travel once each, ahead of the operations.
   */
  encode(): { buffer: ArrayBuffer; length: number } {
    const { separate, inlineAt, messageBytes } = this.messagesToWrite()
    const writer = new BatchWriter(separate.length, this.liveOps, 64 + this.liveOps * 48 + messageBytes)
    for (const m of separate) {
      writer.value(m.id) // then MESSAGE_FIELDS' others, in the order of the worker's insert
      writeMessageBody(writer, m)
    }
    for (let at = 0; at < this.ops.length; at++) {
      const op = this.ops[at]
      if (op === undefined) continue
      const inline = inlineAt[at] === 1
      writer.operation(inline ? op.length + INLINE_MESSAGE_VALUES : op.length)
      for (const value of op) writer.value(value)
      if (inline) writeMessageBody(writer, this.opMessages[at]!)
    }
    this.letGo()
    return writer.finish()
  }

  /**
   * Each message a live operation references, once: those that travel on their own (`separate`, in the order first
   * referenced), and, marked in `inlineAt` by the index of its push, each that travels inline; with about how many
   * bytes they take. Ids are numbered in the order messages are made, so one above every id taken so far is new (the
   * usual case: each message of a fan-in is referenced once, or by a run of operations in a row); only one at or
   * below that is looked up, in a map made the first time it is needed.
   */
  private messagesToWrite(): { separate: Message[]; inlineAt: Uint8Array; messageBytes: number } {
    const messages: Message[] = []
    /** Each message's first operation: a push there carries it inline until another operation refers to it too. */
    const firstAt: number[] = []
    const inlineAt = new Uint8Array(this.ops.length)
    let indexOf: Map<number, number> | undefined
    let highest = 0
    let previous = -1
    for (let at = 0; at < this.ops.length; at++) {
      const message = this.opMessages[at]
      const op = this.ops[at]
      if (message === undefined || op === undefined) continue
      let index = previous >= 0 && message === messages[previous] ? previous : undefined
      if (index === undefined && message.id <= highest) {
        indexOf ??= new Map(messages.map((taken, position) => [taken.id, position]))
        index = indexOf.get(message.id)
      }
      if (index !== undefined) {
        inlineAt[firstAt[index]] = 0
        previous = index
        continue
      }
      if (message.id > highest) highest = message.id
      previous = messages.length
      indexOf?.set(message.id, previous)
      messages.push(message)
      firstAt.push(at)
      if (op[0] === Op.Push) inlineAt[at] = 1
    }
    const separate: Message[] = []
    let messageBytes = 0
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index]
      messageBytes += message.payload.length + message.topic.length * 3 + 64
      if (inlineAt[firstAt[index]] === 0) separate.push(message)
    }
    return { separate, inlineAt, messageBytes }
  }

  /**
   * The batch is encoded: what it held per operation is let go now rather than when its commit is answered, so the
   * messages and operations of a commit in flight die young (the broker's young generation is small: node-flags.ts).
   */
  private letGo(): void {
    this.ops = []
    this.opMessages = []
    this.pushSeqs = []
    this.pushIndexes = []
    this.sents.clear()
    this.heads.clear()
    this.inflight.clear()
  }

  /** The index in `ops` of this batch's push of row `seq`, if it has one. */
  private pushedAt(seq: number): number | undefined {
    const seqs = this.pushSeqs
    let low = 0
    let high = seqs.length - 1
    while (low <= high) {
      const middle = (low + high) >> 1
      const found = seqs[middle]
      if (found === seq) return this.pushIndexes[middle]
      if (found < seq) low = middle + 1
      else high = middle - 1
    }
    return undefined
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
