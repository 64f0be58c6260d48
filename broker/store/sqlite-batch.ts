import type { Message } from '../message.js'
import type { ToWorker } from './sqlite-protocol.js'
import type { SqliteQueue } from './sqlite-queue.js'
import type { StoreError } from './store.js'

/**
 * Operations written since the last send, committed together in one transaction by the worker (group commit:
 * see SqliteStore). Every message the operations reference travels once with the batch.
 */
export class Batch {
  readonly ops: unknown[][] = []
  /** Each message the batch references, once: the worker inserts it if it is not stored yet. */
  readonly messages = new Map<number, Message>()
  lastMessageId = 0
  /** Queues with pushes kept only on disk in this batch: if it fails they re-read their counts. */
  readonly diskPushes = new Set<SqliteQueue>()
  readonly promise: Promise<void>
  resolve!: () => void
  reject!: (error: StoreError) => void

  constructor(readonly id: number) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.promise.catch(() => {}) // a failure nobody waited for is not an unhandled rejection
  }

  add(op: unknown[], message: Message | undefined): void {
    this.ops.push(op)
    if (message === undefined) return
    if (!this.messages.has(message.id)) this.messages.set(message.id, message)
    if (message.id > this.lastMessageId) this.lastMessageId = message.id
  }

  /** The request that carries the batch to the worker; the payloads go in one buffer, transferred rather than copied. */
  toRequest(): ToWorker & { type: 'batch' } {
    let size = 0
    for (const message of this.messages.values()) size += message.payload.length
    const payloads = Buffer.allocUnsafeSlow(size)
    const messages: unknown[][] = []
    let offset = 0
    for (const m of this.messages.values()) {
      m.payload.copy(payloads, offset)
      messages.push([
        m.id,
        m.topic,
        [offset, m.payload.length],
        m.qos,
        m.retain ? 1 : 0,
        m.properties ?? null,
        m.expiresAt,
        m.receivedAt,
        m.origin
      ])
      offset += m.payload.length
    }
    return { type: 'batch', id: this.id, ops: this.ops, messages, payloads: payloads.buffer, lastMessageId: this.lastMessageId }
  }
}
