import type { Message } from '../message.js'
import type { DeliverySources } from './delivery-sources.js'
import { GroupCommit } from './group-commit.js'
import { LazyArgument, type ReadHandler, RedisBatch, type RedisCommand, type WrittenCommand } from './redis-batch.js'
import { decodeWill, encodeInflight, encodeMessage, encodeSession, encodeSubscription, encodeWill, type WillRecord } from './redis-codec.js'
import { type BatchAnswers, type CommandFence, commitBatch } from './redis-commit.js'
import { connectRedis, type RedisClient, type RedisConnection } from './redis-connection.js'
import { RedisDeliveryMarks } from './redis-delivery-marks.js'
import { durabilityWarning } from './redis-durability.js'
import { fenceCommands, type SessionFence } from './redis-fence.js'
import { checkStoreFormat } from './redis-format.js'
import { InflightOrder } from './redis-inflight-order.js'
import { LAST_MESSAGE_ID, RedisKeys } from './redis-keys.js'
import { RedisOutage } from './redis-outage.js'
import { RedisQueue, type RedisQueueHost } from './redis-queue.js'
import { readSession, readSnapshot } from './redis-snapshot.js'
import { UnsentInflight } from './redis-unsent-inflight.js'
import type {
  CommitObserver,
  InflightRecord,
  SessionQueue,
  SessionRecord,
  Store,
  StoredSession,
  StoreSnapshot,
  SubscriptionRecord
} from './store.js'
import { StoreError } from './store.js'
import { StoreOpenError } from './store-open-error.js'

export interface RedisStoreOptions {
  /** redis://, rediss://, redis+sentinel:// or redis-cluster:// (redis-url.ts); a bad one throws RedisUrlError. */
  url: string
  /** Put before every key, so several brokers (or tests) can share one Redis. */
  keyPrefix?: string
  /** Where the durability warning and connection trouble are told. */
  logger?: { warn(message: string): void }
  /** A batch this many commands long is sent at once, without waiting for the answer to the one before it. */
  batchLimit?: number
  /** In a cluster: each session's writes are applied only while this node holds its lease (redis-fence.ts). */
  fence?: SessionFence
}

/** How long open() waits for Redis to answer before it gives up with a StoreOpenError. */
const CONNECT_TIMEOUT_MS = 5000

/**
 * The store in Redis (ioredis): one Redis, a primary behind Sentinel, or a Redis Cluster (redis-connection.ts), for
 * brokers that share state or keep it off their own disk. Keys: redis-keys.ts.
 *
 * Writes are synchronous and only append to the current batch. Group commit: while Redis answers one batch, the next
 * one fills; it goes (as one MULTI/EXEC, one per hash slot on a Cluster, then WAIT where a replica can be promoted:
 * redis-commit.ts) as soon as the answer is in (after the current I/O phase, so everything that phase writes joins it)
 * or when it reaches `batchLimit` commands. `flush()` is the promise of the batch holding the latest write, so PUBACK /
 * PUBREC wait for Redis's answer to it; with `appendfsync always` that answer comes after the fsync (open() checks the
 * setting on every master and warns when it is weaker: redis-durability.ts).
 *
 * Each queued delivery and in-flight record carries its own copy of the message rather than a reference to one
 * shared, reference-counted copy as in SQLite: a shared copy would live outside the session's hash tag, so in a Redis
 * Cluster a push could no longer change the session's keys and the message in one MULTI. The cost is a payload
 * copy per receiving session, which Redis holds in memory anyway.
 */
export class RedisStore implements Store, RedisQueueHost, DeliverySources {
  readonly durable = true
  readonly keys: RedisKeys
  private readonly connection: RedisConnection
  private readonly redis: RedisClient
  private state: 'new' | 'open' | 'closed' = 'new'
  private opening: Promise<void> | undefined
  private closing: Promise<void> | undefined
  private readonly commits: GroupCommit<RedisBatch>
  private readonly inflightOrder = new InflightOrder()
  private readonly sessions = new Set<string>()
  private readonly queues = new Map<string, RedisQueue>()
  /** Queue sizes read at open, for sessions whose queue object is not made yet. */
  private readonly queuesInRedis = new Map<string, { count: number; bytes: number }>()
  private connectionTrouble: string | undefined
  private readonly outage = new RedisOutage()
  /** The batch of writes kept through an outage, while Redis answers it. */
  private replaying: RedisBatch | undefined
  private commitObserver: CommitObserver | undefined
  private readonly marks: RedisDeliveryMarks
  private readonly unsentInflight = new UnsentInflight()

  constructor(private readonly options: RedisStoreOptions) {
    this.keys = new RedisKeys(options.keyPrefix ?? '')
    this.commits = new GroupCommit(
      {
        newBatch: () => new RedisBatch(),
        commit: (batch) => this.commit(batch),
        takeOverdue: () => this.takeReplay(),
        hasOverdue: () => this.outage.hasKept
      },
      options.batchLimit ?? 2000
    )
    // A write while Redis is away fails its batch at once (no PUBACK) rather than waiting in a client-side queue.
    this.connection = connectRedis(options.url, { connectTimeoutMs: CONNECT_TIMEOUT_MS, reconnect: () => this.state === 'open' })
    this.redis = this.connection.client
    this.marks = new RedisDeliveryMarks(this.keys, this.redis)
    this.redis.on('error', (error: Error) => this.onConnectionError(error))
    this.redis.on('ready', () => {
      this.connectionTrouble = undefined
      this.commits.schedule() // what was kept through an outage goes first
    })
  }

  get unavailableSince(): number | undefined {
    return this.outage.since
  }

  /** The URL without its password, for messages. */
  get url(): string {
    return this.connection.display
  }

  async open(): Promise<StoreSnapshot> {
    if (this.state === 'closed') throw new Error('the store is closed')
    this.opening ??= this.start()
    await this.opening
    await this.flush().catch(() => {})
    // A cluster node reads only the sessions it may hold, not every node's.
    const only = await this.options.fence?.sessionsToRestore()
    const { snapshot, queues, lastInflightOrder, inflightOrders } = await readSnapshot(this.redis, this.keys, only)
    for (const [clientId, size] of queues) {
      this.sessions.add(clientId)
      if (!this.queues.has(clientId)) this.queuesInRedis.set(clientId, size)
      this.inflightOrder.read(clientId, inflightOrders.get(clientId) ?? new Map(), lastInflightOrder)
    }
    return snapshot
  }

  private async start(): Promise<void> {
    try {
      await this.redis.connect()
    } catch (error) {
      this.redis.disconnect()
      const message = `cannot reach Redis at ${this.url}: ${this.connectionTrouble ?? (error as Error).message}`
      throw new StoreOpenError(this.url, message, 'UNREACHABLE')
    }
    try {
      await checkStoreFormat(this.redis, this.keys, this.connection.topology, this.url)
      await this.connection.learnReplicas()
    } catch (error) {
      this.redis.disconnect()
      throw error
    }
    const warning = await durabilityWarning(this.redis, this.url)
    if (warning !== undefined) this.options.logger?.warn(`WARNING: ${warning}`)
    this.state = 'open'
    this.commits.start()
  }

  saveSession(record: SessionRecord): void {
    this.sessions.add(record.clientId)
    this.write(['set', this.keys.session(record.clientId), encodeSession(record)])
    this.write(['sadd', this.keys.sessions, record.clientId])
  }

  deleteSession(clientId: string): void {
    this.unsentInflight.forget(clientId)
    this.inflightOrder.forget(clientId)
    this.write(['del', ...this.keys.allOfSession(clientId)])
    this.write(['srem', this.keys.sessions, clientId])
    this.sessions.delete(clientId)
    this.queuesInRedis.delete(clientId)
    this.queues.get(clientId)?.detach()
    this.queues.delete(clientId)
  }

  saveSubscription(clientId: string, subscription: SubscriptionRecord): void {
    this.write(['hset', this.keys.subscriptions(clientId), subscription.fullFilter, encodeSubscription(subscription)])
  }

  deleteSubscription(clientId: string, fullFilter: string): void {
    this.write(['hdel', this.keys.subscriptions(clientId), fullFilter])
  }

  saveRetained(message: Message): void {
    this.write(['hset', this.keys.retained, message.topic, encodeMessage(message)], message.id)
  }

  deleteRetained(topic: string): void {
    this.write(['hdel', this.keys.retained, topic])
  }

  queue(clientId: string): SessionQueue {
    let queue = this.queues.get(clientId)
    if (queue !== undefined) return queue
    if (!this.sessions.has(clientId)) throw new Error(`no stored session ${clientId}`)
    const keys = { queue: this.keys.queue(clientId), bytes: this.keys.queueBytes(clientId) }
    queue = new RedisQueue(this, keys, this.queuesInRedis.get(clientId))
    this.queuesInRedis.delete(clientId)
    this.queues.set(clientId, queue)
    return queue
  }

  saveInflight(clientId: string, record: InflightRecord): void {
    // The record carries its place in the sending order (InflightOrder): no sorted set to keep beside it.
    const order = this.inflightOrder.placeOf(clientId, record)
    const save: WrittenCommand = [
      'hset',
      this.keys.inflight(clientId),
      record.packetId,
      new LazyArgument(() => encodeInflight(record, order))
    ]
    const batch = this.write(save, record.delivery.message.id)
    if (record.state === 'publish') this.unsentInflight.wrote(clientId, record.packetId, batch, save)
    else this.unsentInflight.forget(clientId, record.packetId)
  }

  deleteInflight(clientId: string, packetId: number): void {
    // Acknowledged before its batch went: the record never reaches Redis (UnsentInflight).
    this.inflightOrder.deleted(clientId, packetId)
    const unsent = this.unsentInflight.take(clientId, packetId)
    if (unsent !== undefined && this.cancel(unsent.batch, unsent.command)) return
    this.write(['hdel', this.keys.inflight(clientId), packetId])
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    this.write(['sadd', this.keys.incoming(clientId), packetId])
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.write(['srem', this.keys.incoming(clientId), packetId])
  }

  // For a cluster, whose nodes hand sessions to each other through this store.

  /** Reads the session as it is in Redis now and goes on from there (its queue stays in Redis until read). */
  async loadSession(clientId: string): Promise<StoredSession | undefined> {
    const read = await readSession(this.redis, this.keys, clientId)
    this.forgetSession(clientId)
    if (read === undefined) return undefined
    this.sessions.add(clientId)
    this.queuesInRedis.set(clientId, read.queue)
    // Another node placed its in-flight records: ours must come after them.
    this.inflightOrder.read(clientId, read.inflightOrders, read.lastInflightOrder)
    return read.session
  }

  /** Stops keeping the session here without deleting it: another node holds it now. */
  forgetSession(clientId: string): void {
    this.unsentInflight.forget(clientId)
    this.inflightOrder.forget(clientId)
    this.sessions.delete(clientId)
    this.queuesInRedis.delete(clientId)
    this.queues.get(clientId)?.detach()
    this.queues.delete(clientId)
  }

  /** The will of the session's connection, kept while it is connected so that another node can send it. */
  saveWill(clientId: string, will: WillRecord): void {
    this.write(['set', this.keys.will(clientId), encodeWill(will)])
  }

  deleteWill(clientId: string): void {
    this.write(['del', this.keys.will(clientId)])
  }

  async readWill(clientId: string): Promise<WillRecord | undefined> {
    const text = await this.redis.get(this.keys.will(clientId))
    return text === null ? undefined : decodeWill(text)
  }

  flush(): Promise<void> {
    return this.commits.flush()
  }

  async close(): Promise<void> {
    this.closing ??= this.stop()
    return this.closing
  }

  private async stop(): Promise<void> {
    if (this.opening !== undefined) await this.opening.catch(() => {})
    await this.commits.stop()
    this.state = 'closed'
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => {})
    // After QUIT too: under Sentinel only disconnect() closes the connections that watch for a promotion.
    this.redis.disconnect()
  }

  // RedisQueueHost

  write(command: WrittenCommand, messageId = 0): number {
    if (this.state === 'closed') throw new Error('the store is closed')
    const batch = this.commits.batch
    if (this.marks.active) this.marks.mark(batch, String(command[1]))
    batch.add(command, messageId)
    this.commits.written()
    return batch.serial
  }

  cancel(serial: number, ...commands: WrittenCommand[]): boolean {
    const open = this.commits.open
    return open !== undefined && open.serial === serial && open.cancel(...commands)
  }

  read(commands: RedisCommand[], handler: ReadHandler): void {
    if (this.state === 'closed') throw new Error('the store is closed')
    this.commits.batch.addRead(commands, handler)
    this.commits.written()
  }

  // DeliverySources: what a session's writes record of the deliveries they come from (RedisDeliveryMarks)

  deliveringFrom(source: { readonly stream: string; readonly id: string } | undefined): void {
    this.marks.deliveringFrom(source)
  }

  deliveringMessage(identity: string | undefined, recordsFor?: (clientId: string) => boolean): void {
    this.marks.deliveringMessage(identity, recordsFor)
  }

  deliveredMessages(clientIds: Iterable<string>): Promise<Map<string, string[]>> {
    return this.marks.deliveredMessages(clientIds)
  }

  deliveredFrom(stream: string, clientIds: Iterable<string>): Promise<Map<string, string>> {
    return this.marks.deliveredFrom(stream, clientIds)
  }

  forgetSource(stream: string, clientIds: Iterable<string>): void {
    for (const clientId of clientIds) this.write(['hdel', this.keys.sources(clientId), stream])
  }

  notePushRemote(queue: RedisQueue): void {
    this.commits.batch.remotePushes.add(queue)
  }

  /** Once Redis is back after an outage, everything kept through it goes before anything newer (catch up). */
  private takeReplay(): RedisBatch | undefined {
    this.replaying = this.redis.status === 'ready' ? this.outage.takeReplay() : undefined
    return this.replaying
  }

  observeCommits(observer: CommitObserver): void {
    this.commitObserver = observer
  }

  private commit(batch: RedisBatch): void {
    batch.seal()
    const sent = { operations: batch.writes, at: performance.now() } // the store's writes: not its own ZADD below
    if (batch.lastMessageId > 0) batch.add(['zadd', this.keys.meta, 'GT', batch.lastMessageId, LAST_MESSAGE_ID])
    commitBatch(this.connection, batch, this.commandFence).then(
      (results) => this.onBatchAnswered(batch, sent, results),
      (error: Error) => this.onBatchAnswered(batch, sent, null, error)
    )
  }

  /** A cluster node's writes for a session apply only while it holds the session's lease (redis-fence.ts). */
  private get commandFence(): CommandFence | undefined {
    const fence = this.options.fence
    if (fence === undefined) return undefined
    return (commands, isRead) => fenceCommands(commands, isRead, this.keys, fence)
  }

  private onBatchAnswered(batch: RedisBatch, sent: { operations: number; at: number }, results: BatchAnswers | null, error?: Error): void {
    const failed = error ?? (results === null ? new Error('the transaction was aborted') : results.find(([e]) => e !== null)?.[0])
    const replay = batch === this.replaying
    if (replay) this.replaying = undefined
    if (failed === undefined || failed === null) {
      batch.answerReads(results!.map(([, value]) => value))
      this.commitObserver?.(sent.operations, (performance.now() - sent.at) / 1000)
      batch.resolve()
      if (replay) {
        const lasted = this.outage.ended()
        this.options.logger?.warn(`Redis at ${this.url} is back: caught up after ${lasted} ms`)
      }
    } else if (RedisOutage.isUnreachable(failed, this.redis.status === 'ready')) {
      batch.answerReads(undefined)
      if (this.outage.since === undefined) {
        this.options.logger?.warn(`Redis at ${this.url} cannot be reached: QoS 1/2 messages are not acknowledged until it is back`)
      }
      batch.reject(this.outage.keep(batch, this.url))
    } else {
      batch.answerReads(undefined)
      for (const queue of batch.remotePushes) queue.onBatchFailed()
      const kind = failed.message.startsWith('OOM') ? 'full' : 'failed'
      const error = new StoreError(`could not write to Redis at ${this.url}: ${failed.message}`, kind)
      if (replay) this.outage.failed(error)
      batch.reject(error)
    }
    this.commits.answered(batch)
  }

  private onConnectionError(error: Error): void {
    const trouble = error.message
    if (this.state === 'open' && trouble !== this.connectionTrouble) this.options.logger?.warn(`Redis at ${this.url}: ${trouble}`)
    this.connectionTrouble = trouble
  }
}
