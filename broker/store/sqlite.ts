import { accessSync, constants, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { Delivery, Message } from '../message.js'
import { GroupCommit } from './group-commit.js'
import { Batch } from './sqlite-batch.js'
import type { BatchValue } from './sqlite-batch-codec.js'
import type { BatchReply, FromWorker, SnapshotRows, ToWorker } from './sqlite-protocol.js'
import { Op } from './sqlite-protocol.js'
import type { QueueHost, QueueOnDisk } from './sqlite-queue.js'
import { pushOperation, SqliteQueue } from './sqlite-queue.js'
import { subscriptionIdsText } from './sqlite-schema.js'
import { SentRows } from './sqlite-sent-rows.js'
import { snapshotFromRows } from './sqlite-snapshot.js'
import type { CommitObserver, InflightRecord, SessionQueue, SessionRecord, Store, StoreSnapshot, SubscriptionRecord } from './store.js'
import { StoreError } from './store.js'
import { StoreOpenError } from './store-open-error.js'

export interface SqliteStoreOptions {
  /** The directory that holds broker.db (and its -wal and -shm); created when missing. */
  dataDir: string
  /** A batch this many operations long is sent at once, without waiting for the commit before it. */
  batchLimit?: number
  /** Caps the database at this many 4 KiB pages: a commit that needs more fails as a full disk would. */
  maxPages?: number
}

/**
 * The durable store: one SQLite file, `<dataDir>/broker.db`, written by a worker thread.
 *
 * Writes are synchronous and only append to the current batch; the worker commits one batch per transaction
 * while the next one fills (GroupCommit). Reads of queue pages travel inside batches, so they see every write
 * made before them.
 */
export class SqliteStore implements Store, QueueHost {
  readonly durable = true
  readonly file: string
  private readonly commits: GroupCommit<Batch>
  private worker: Worker | undefined
  private state: 'new' | 'open' | 'closed' = 'new'
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  /** Batches sent, not yet answered, oldest first; the worker answers in order. */
  private readonly sent: Batch[] = []
  /** When each batch of `sent` went (performance.now()), for the commit observer. */
  private readonly sentAt: number[] = []
  private commitObserver: CommitObserver | undefined
  /** Answers for requests other than batches (open, snapshot, close), in order. */
  private readonly replies: Array<(reply: FromWorker) => void> = []
  private batchIds = 0
  private readTokens = 0
  /** The queue each read in flight answers to, by token. */
  private readonly reads = new Map<number, SqliteQueue>()
  private failure: StoreError | undefined
  private seq = 0
  private readonly sessions = new Set<string>()
  private readonly queues = new Map<string, SqliteQueue>()
  /** Queue rows read at open (their seqs, count and bytes), for sessions whose queue object is not made yet. */
  private readonly queuesOnDisk = new Map<string, QueueOnDisk>()
  private readonly sentRows = new SentRows()
  /**
   * The delivery of the row a queue gave up last, until the next write says what became of it: a `saveInflight` of its delivery at
   * QoS 1 keeps it as a row in flight; anything else (or the end of the current task) makes it done.
   */
  private pendingDelivery: Delivery | undefined
  /** The session and seq of `pendingDelivery`'s row: fields of their own rather than an object per message. */
  private pendingClientId = ''
  private pendingSeq = 0
  private settleQueued = false

  constructor(private readonly options: SqliteStoreOptions) {
    this.file = join(options.dataDir, 'broker.db')
    this.commits = new GroupCommit(
      { newBatch: () => new Batch(++this.batchIds), commit: (batch) => this.commit(batch) },
      options.batchLimit ?? 2000
    )
  }

  async open(): Promise<StoreSnapshot> {
    if (this.state === 'closed') throw new Error('the store is closed')
    if (this.opening === undefined) {
      this.opening = this.start()
      await this.opening
      return this.snapshotFrom(this.firstSnapshot!)
    }
    await this.opening
    await this.flush().catch(() => {})
    const reply = await this.request({ type: 'snapshot' })
    if (reply.type !== 'snapshot') throw new Error(`unexpected answer from the store worker: ${reply.type}`)
    return this.snapshotFrom(reply.snapshot)
  }

  private firstSnapshot: SnapshotRows | undefined

  private async start(): Promise<void> {
    const dir = this.options.dataDir
    try {
      mkdirSync(dir, { recursive: true })
      accessSync(dir, constants.W_OK)
    } catch (error) {
      const cause = error as NodeJS.ErrnoException
      throw new StoreOpenError(dir, `cannot use data directory ${dir}: ${cause.message}`, cause.code ?? 'UNKNOWN')
    }
    const worker = new Worker(new URL('./sqlite-worker.js', import.meta.url))
    this.worker = worker
    worker.on('message', (reply: FromWorker) => this.onReply(reply))
    worker.on('error', (error) => this.onWorkerFailure(error))
    const reply = await this.request({ type: 'open', file: this.file, options: { maxPages: this.options.maxPages } })
    if (reply.type !== 'opened') {
      this.worker = undefined
      await worker.terminate()
      const { code, message } = reply.type === 'openFailed' ? reply : { code: 'UNKNOWN', message: reply.type }
      throw new StoreOpenError(this.file, `cannot open store ${this.file}: ${message} (${code})`, code)
    }
    this.firstSnapshot = reply.snapshot
    this.state = 'open'
    worker.unref()
    this.commits.start()
  }

  private snapshotFrom(rows: SnapshotRows): StoreSnapshot {
    this.firstSnapshot = undefined
    for (const row of rows.sessions) this.sessions.add(row.client_id)
    if (rows.lastSeq > this.seq) this.seq = rows.lastSeq
    for (const row of rows.queues) {
      if (!this.queues.has(row.client_id)) this.queuesOnDisk.set(row.client_id, row)
    }
    for (const row of rows.inflight) if (row.in_queue === 1) this.sentRows.sent(row.client_id, row.packet_id, row.seq)
    return snapshotFromRows(rows)
  }

  saveSession(record: SessionRecord): void {
    this.sessions.add(record.clientId)
    const owner = record.owner === 'unknown' ? [null, 0] : [record.owner.username ?? null, 1]
    this.write([Op.Session, record.clientId, record.protocolVersion, record.expiryInterval, record.disconnectedAt ?? null, ...owner])
  }

  deleteSession(clientId: string): void {
    const onDisk = this.queuesOnDisk.get(clientId)?.seqs
    const queued = this.queues.get(clientId)?.seqRange ?? (onDisk === undefined ? undefined : [onDisk[0], onDisk[onDisk.length - 1]])
    const sent = this.sentRows.range(clientId)
    const first = Math.min(queued?.[0] ?? Number.POSITIVE_INFINITY, sent?.[0] ?? Number.POSITIVE_INFINITY)
    const last = Math.max(queued?.[1] ?? 0, sent?.[1] ?? 0)
    this.write([Op.DeleteSession, clientId, ...(last === 0 ? [null, null] : [first, last])])
    this.sentRows.forget(clientId)
    this.sessions.delete(clientId)
    this.queuesOnDisk.delete(clientId)
    this.queues.get(clientId)?.detach()
    this.queues.delete(clientId)
  }

  saveSubscription(clientId: string, subscription: SubscriptionRecord): void {
    const { fullFilter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId } = subscription
    this.write([
      Op.Subscription,
      clientId,
      fullFilter,
      qos,
      noLocal ? 1 : 0,
      retainAsPublished ? 1 : 0,
      retainHandling,
      subscriptionId ?? null
    ])
  }

  deleteSubscription(clientId: string, fullFilter: string): void {
    this.write([Op.DeleteSubscription, clientId, fullFilter])
  }

  saveRetained(message: Message): void {
    this.write([Op.Retained, message.topic, message.id], message)
  }

  deleteRetained(topic: string): void {
    this.write([Op.DeleteRetained, topic])
  }

  queue(clientId: string): SessionQueue {
    let queue = this.queues.get(clientId)
    if (queue !== undefined) return queue
    if (!this.sessions.has(clientId)) throw new Error(`no stored session ${clientId}`)
    queue = new SqliteQueue(this, clientId, this.queuesOnDisk.get(clientId))
    this.queuesOnDisk.delete(clientId)
    this.queues.set(clientId, queue)
    return queue
  }

  saveInflight(clientId: string, record: InflightRecord): void {
    const { delivery } = record
    if (record.state === 'publish' && delivery.qos === 1 && this.keptAsRow(clientId, record.packetId, delivery)) return
    this.write(
      [
        Op.Inflight,
        clientId,
        record.packetId,
        record.state,
        this.nextSeq(),
        delivery.message.id,
        delivery.qos,
        delivery.retain ? 1 : 0,
        subscriptionIdsText(delivery.subscriptionIds)
      ],
      delivery.message
    )
  }

  /**
   * A QoS 1 delivery sent as `packetId` stays a queue row until its PUBACK (see SentRows): the row the queue just gave
   * up, or a new one when the session has no rows waiting (a row behind waiting ones would let the head pass them).
   * False when neither fits: it goes into the in-flight table.
   */
  private keptAsRow(clientId: string, packetId: number, delivery: Delivery): boolean {
    if (this.pendingDelivery === delivery && this.pendingClientId === clientId) {
      this.pendingDelivery = undefined
      this.sentRows.sent(clientId, packetId, this.pendingSeq)
      this.append([Op.Sent, clientId, this.pendingSeq, packetId])
      return true
    }
    this.settle()
    if ((this.queues.get(clientId)?.length ?? this.queuesOnDisk.get(clientId)?.count ?? 0) > 0) return false
    const seq = this.nextSeq()
    this.sentRows.sent(clientId, packetId, seq)
    this.append(pushOperation(clientId, seq, delivery, packetId), delivery.message)
    return true
  }

  deleteInflight(clientId: string, packetId: number): void {
    this.settle()
    const seq = this.sentRows.acknowledged(clientId, packetId)
    if (seq === undefined) this.append([Op.DeleteInflight, clientId, packetId])
    else this.finish(clientId, seq)
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    this.write([Op.Incoming, clientId, packetId])
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.write([Op.DeleteIncoming, clientId, packetId])
  }

  observeCommits(observer: CommitObserver): void {
    this.commitObserver = observer
  }

  flush(): Promise<void> {
    this.settle()
    return this.commits.flush()
  }

  async close(): Promise<void> {
    this.closing ??= this.stop()
    return this.closing
  }

  private async stop(): Promise<void> {
    if (this.opening !== undefined) await this.opening.catch(() => {})
    const worker = this.worker
    if (this.state === 'open') this.settle()
    await this.commits.stop()
    if (this.state === 'open' && worker !== undefined) {
      this.state = 'closed'
      await this.request({ type: 'close' })
      this.worker = undefined
      await worker.terminate()
    }
    this.state = 'closed'
  }

  // QueueHost

  write(op: BatchValue[], message?: Message): void {
    this.settle()
    this.append(op, message)
  }

  shifted(clientId: string, seq: number, delivery: Delivery): void {
    this.settle()
    this.pendingDelivery = delivery
    this.pendingClientId = clientId
    this.pendingSeq = seq
    if (this.settleQueued) return
    this.settleQueued = true
    queueMicrotask(() => {
      this.settleQueued = false
      if (this.state !== 'closed') this.settle()
    })
  }

  /** The row given up last was not sent at QoS 1: it is done. */
  private settle(): void {
    if (this.pendingDelivery === undefined) return
    this.pendingDelivery = undefined
    this.finish(this.pendingClientId, this.pendingSeq)
  }

  /** The row `seq` is done: the head moves to it, or it goes alone while an older row is in flight (see SentRows). */
  private finish(clientId: string, seq: number): void {
    this.append(this.sentRows.olderInFlight(clientId, seq) ? [Op.Clear, clientId, seq, seq] : [Op.Shift, clientId, seq])
  }

  private append(op: BatchValue[], message?: Message): void {
    if (this.state === 'closed') throw new Error('the store is closed')
    this.commits.batch.add(op, message)
    this.commits.written()
  }

  read(queue: SqliteQueue, op: BatchValue[]): number {
    const token = ++this.readTokens
    this.reads.set(token, queue)
    op[2] = token
    // Not `write`: the queue reads ahead right after giving up a row, which must stay pending for its saveInflight
    // (the read is of rows after it, so the two commute).
    this.append(op)
    return token
  }

  nextSeq(): number {
    return ++this.seq
  }

  notePushOnDisk(queue: SqliteQueue): void {
    this.commits.batch.diskPushes.add(queue)
  }

  /** Hands the batch to the worker, or fails it at once when the worker is gone. */
  private commit(batch: Batch): void {
    const worker = this.worker
    if (this.failure !== undefined || worker === undefined) {
      batch.reject(this.failure ?? new StoreError('the store worker is not running', 'failed'))
      this.commits.answered(batch)
      return
    }
    const { buffer, length } = batch.encode()
    this.sent.push(batch)
    this.sentAt.push(performance.now())
    worker.ref()
    const request: ToWorker = { type: 'batch', id: batch.id, data: buffer, length, lastMessageId: batch.lastMessageId }
    worker.postMessage(request, [buffer])
  }

  private request(request: ToWorker): Promise<FromWorker> {
    const worker = this.worker
    if (worker === undefined) return Promise.reject(new Error('the store worker is not running'))
    worker.ref()
    return new Promise((resolve) => {
      this.replies.push(resolve)
      worker.postMessage(request)
    })
  }

  private onReply(reply: FromWorker): void {
    if (reply.type === 'batch') this.onBatchDone(reply)
    else this.replies.shift()?.(reply)
    if (this.sent.length === 0 && this.replies.length === 0 && this.state === 'open') this.worker?.unref()
  }

  private onBatchDone(reply: BatchReply): void {
    const batch = this.sent.shift()
    const sentAt = this.sentAt.shift()
    // A failed batch's queues re-read their rows first, which drops the answers to reads written before.
    if (reply.error !== undefined) for (const queue of batch?.diskPushes ?? []) queue.onBatchFailed()
    for (const read of reply.reads) this.readAnswered(read.token)?.onPage(read)
    for (const resync of reply.resyncs) this.readAnswered(resync.token)?.onResync(resync)
    if (batch === undefined) return
    if (reply.error === undefined) {
      if (sentAt !== undefined) this.commitObserver?.(batch.length, (performance.now() - sentAt) / 1000)
      batch.resolve()
    } else {
      const kind = reply.error.code.startsWith('SQLITE_FULL') ? 'full' : 'failed'
      batch.reject(new StoreError(`could not write to ${this.file}: ${reply.error.message} (${reply.error.code})`, kind))
    }
    this.commits.answered(batch)
  }

  private readAnswered(token: number): SqliteQueue | undefined {
    const queue = this.reads.get(token)
    this.reads.delete(token)
    return queue
  }

  /** The worker thread died: nothing more can be written. Waiting batches fail; later ones fail at once. */
  private onWorkerFailure(error: Error): void {
    this.failure = new StoreError(`the store worker for ${this.file} failed: ${error.message}`, 'failed')
    this.sentAt.length = 0
    const lost = this.sent.splice(0)
    for (const reply of this.replies.splice(0)) reply({ type: 'openFailed', code: 'WORKER_FAILED', message: error.message })
    this.worker = undefined
    for (const batch of lost) {
      batch.reject(this.failure)
      this.commits.answered(batch)
    }
    this.commits.schedule() // a batch written meanwhile fails at once too
  }
}
