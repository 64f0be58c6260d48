import type { Logger } from 'pino'
import type { RedisClient } from '../store/redis-connection.js'
import { type ClusterKeys, STREAM_GROUP } from './cluster-keys.js'
import { entryOf } from './entry-of.js'
import { decodeEntry, encodeEntryHead, type ForwardedMessage } from './forwarded-codec.js'

/** Where the messages read from a stream go on this node. */
export interface ForwardedSink {
  /** Delivers them here; with `onlyClients` (a dead node's stream), to those sessions' plain subscriptions only. */
  deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>): void
  /** Resolves once what was delivered is durable (the store's flush): only then is an entry acknowledged. */
  durable(): Promise<void>
}

/** One stream entry being filled for one node. */
interface OpenEntry {
  parts: Buffer[]
  count: number
  bytes: number
}

/** The appends of one send: each node's entries, and the promise acknowledgements wait on. */
class Outbound {
  readonly entries = new Map<string, OpenEntry[]>()
  size = 0
  readonly promise: Promise<void>
  resolve!: () => void
  reject!: (error: Error) => void

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // Nobody may be waiting (QoS 0 only): a failure must not become an unhandled rejection.
    this.promise.catch(() => {})
  }
}

const RECORDS_PER_ENTRY = 256
const ENTRY_BYTES = 256 * 1024
/** Past this many bytes a send goes at once, even while the one before it is unanswered. */
const SEND_BYTES = 4 * 1024 * 1024
const READ_COUNT = 64
const RESOLVED = Promise.resolve()

/** How long after a drain its stream is read once more, for appends of nodes that had not yet heard of the death. */
const LATE_DRAIN_MS = 5000

/**
 * The cross-node hop: each node has an inbound Redis Stream (`stream:<node>`) read through a consumer group; other
 * nodes append the messages it must deliver, several per entry (forwarded-codec.ts).
 *
 * Why Streams and not pub/sub (what Aedes' mqemitter-redis uses): pub/sub keeps nothing. A message published while a
 * node is reconnecting, restarting or paused is gone; a node that reads slower than messages come is cut off by Redis
 * once its output buffer passes `client-output-buffer-limit pubsub` (32 MB, or 8 MB for 60 s), losing all it had not
 * read; and a node that dies between reading a message and storing it has no way to read it again. A stream keeps each
 * entry (in the AOF, like the store) until the node acknowledges it, and a reader goes at its own pace: a slow node
 * only falls behind. The test "a node that stops reading loses nothing" (test/broker/cluster) holds a node still
 * while others publish to it.
 *
 * Sending: appends join the open send; it goes as one pipeline (one append per node and entry) once Redis has
 * answered the previous send, after the current I/O phase (or at once past SEND_BYTES). `flush()` is the promise of
 * the send holding the latest append, so PUBACK / PUBREC also wait for the hop. A node is appended to whether or not
 * it looks alive: its liveness can lapse while it lives (a Redis restart outlasting the time-to-live, a long pause),
 * and an append dropped then would be a message acknowledged and lost. A dead node's stream is drained by the node
 * that recovers it; what others append before they hear of the death is drained once more a little later.
 *
 * Receiving: pending entries first (read before a crash, never acknowledged), then new ones; each batch is delivered,
 * then XACK + XDEL only once the store has made the deliveries durable. An entry delivered but not acknowledged
 * before a crash is delivered again (at least once).
 */
export class NodeStream {
  private open: Outbound | undefined
  private readonly inFlight: Outbound[] = []
  private sendScheduled = false
  private reading: Promise<void> | undefined
  private stopped = false
  /**
   * Set on every (re)connect of the reader. An XREADGROUP whose answer was lost with the connection may still have
   * moved entries to this node's pending list; the client sends it again after reconnecting (a read of new entries
   * only), so the read after that one starts from '0' to find them.
   */
  private pendingUnread = true
  private trouble: string | undefined

  constructor(
    private readonly nodeId: string,
    private readonly connections: { commands: RedisClient; reader: RedisClient },
    private readonly keys: ClusterKeys,
    private readonly sink: ForwardedSink,
    private readonly logger: Logger
  ) {
    connections.reader.on('ready', () => {
      this.pendingUnread = true
    })
  }

  /** Makes sure this node's stream and group exist, then reads it until `stop`. */
  async start(): Promise<void> {
    await this.createGroup()
    this.reading = this.readLoop()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.send()
    await Promise.allSettled(this.inFlight.map((batch) => batch.promise))
    this.connections.reader.disconnect()
    // A read cut off while Redis is away may never settle (the client keeps it to send again): wait a little for a
    // batch being delivered, not for ever.
    await Promise.race([this.reading, new Promise((resolve) => setTimeout(resolve, 1000).unref())])
  }

  /** Adds a record (its head and the message body) to the next entry for `nodeId`. */
  append(nodeId: string, head: Buffer, body: Buffer): void {
    this.open ??= new Outbound()
    const batch = this.open
    const entries = entryOf(batch.entries, nodeId, () => [])
    let entry = entries[entries.length - 1]
    if (entry === undefined || entry.count >= RECORDS_PER_ENTRY || entry.bytes >= ENTRY_BYTES) {
      entry = { parts: [], count: 0, bytes: 0 }
      entries.push(entry)
    }
    entry.parts.push(head, body)
    entry.count++
    entry.bytes += head.length + body.length
    batch.size += head.length + body.length
    if (batch.size >= SEND_BYTES) this.send()
    else this.schedule()
  }

  flush(): Promise<void> {
    if (this.open !== undefined) return this.open.promise
    return this.inFlight[this.inFlight.length - 1]?.promise ?? RESOLVED
  }

  /**
   * Delivers every entry left in a dead node's stream (pending and unread) to the sessions of `clientIds`, deleting
   * each batch once its deliveries are durable, and removes the stream once empty; does so once more after
   * LATE_DRAIN_MS. A node found alive again (`isAlive`, read from Redis) is left alone: it reads its stream itself, and
   * what is in it now was sent to it. Entries are deleted one by one, never the whole stream with what came meanwhile.
   */
  async drain(deadNodeId: string, clientIds: ReadonlySet<string>, isAlive: () => Promise<boolean>): Promise<void> {
    await this.drainOnce(deadNodeId, clientIds, isAlive)
    setTimeout(() => {
      this.drainOnce(deadNodeId, clientIds, isAlive).catch((error: unknown) =>
        this.logger.warn({ err: error, node: deadNodeId }, 'cluster: the late drain of a dead node failed')
      )
    }, LATE_DRAIN_MS).unref()
  }

  private async drainOnce(deadNodeId: string, clientIds: ReadonlySet<string>, isAlive: () => Promise<boolean>): Promise<void> {
    const commands = this.connections.commands
    const key = this.keys.stream(deadNodeId)
    for (;;) {
      if (await isAlive()) return
      const entries = (await commands.xrangeBuffer(key, '-', '+', 'COUNT', READ_COUNT)) as StreamEntry[]
      if (entries.length === 0) break
      const ids = this.deliver(entries, clientIds)
      await this.sink.durable()
      // An entry this node cannot read stays, and so does the stream: a newer node may read it.
      if (ids.length === 0) return
      await commands.xdel(key, ...ids)
    }
    await commands.eval(DELETE_IF_EMPTY_SCRIPT, 2, key, this.keys.liveness(deadNodeId))
  }

  private schedule(): void {
    if (this.sendScheduled || this.inFlight.length > 0) return
    this.sendScheduled = true
    setImmediate(() => {
      this.sendScheduled = false
      if (this.inFlight.length === 0) this.send()
    })
  }

  private send(): void {
    const batch = this.open
    if (batch === undefined) return
    this.open = undefined
    this.inFlight.push(batch)
    const pipeline = this.connections.commands.pipeline()
    for (const [nodeId, entries] of batch.entries) {
      for (const entry of entries)
        pipeline.xadd(this.keys.stream(nodeId), '*', 'm', Buffer.concat([encodeEntryHead(entry.count), ...entry.parts]))
    }
    pipeline.exec().then(
      (answers) => this.onSent(batch, answers?.find(([error]) => error !== null)?.[0] ?? undefined),
      (error: Error) => this.onSent(batch, error)
    )
  }

  private onSent(batch: Outbound, error: Error | undefined): void {
    this.inFlight.splice(this.inFlight.indexOf(batch), 1)
    if (error === undefined) batch.resolve()
    else batch.reject(new Error(`could not forward messages through Redis: ${error.message}`))
    if (this.open !== undefined && this.inFlight.length === 0) this.schedule()
  }

  private async createGroup(): Promise<void> {
    try {
      await this.connections.commands.xgroup('CREATE', this.keys.stream(this.nodeId), STREAM_GROUP, '0', 'MKSTREAM')
    } catch (error) {
      if (!(error as Error).message.startsWith('BUSYGROUP')) throw error
    }
  }

  /** Own pending entries first (from '0'), then new ones ('>'); after any error, pending again. */
  private async readLoop(): Promise<void> {
    const key = this.keys.stream(this.nodeId)
    let cursor = '0'
    while (!this.stopped) {
      if (this.pendingUnread) {
        this.pendingUnread = false
        cursor = '0'
      }
      try {
        const reply = (await this.connections.reader.xreadgroupBuffer(
          'GROUP',
          STREAM_GROUP,
          this.nodeId,
          'COUNT',
          READ_COUNT,
          'BLOCK',
          1000,
          'STREAMS',
          key,
          cursor
        )) as Array<[Buffer, StreamEntry[]]> | null
        const entries = reply?.[0]?.[1] ?? []
        if (cursor !== '>') cursor = entries.length === 0 ? '>' : entries[entries.length - 1][0].toString()
        if (entries.length === 0) continue
        const ids = this.deliver(entries)
        await this.sink.durable()
        if (ids.length > 0)
          await this.connections.commands
            .multi()
            .xack(key, STREAM_GROUP, ...ids)
            .xdel(key, ...ids)
            .exec()
        this.trouble = undefined
      } catch (error) {
        if (this.stopped) break
        await this.recover(error as Error)
        cursor = '0'
      }
    }
  }

  /** Delivers the entries it can read; returns their ids. */
  private deliver(entries: StreamEntry[], onlyClients?: ReadonlySet<string>): Buffer[] {
    const delivered: Buffer[] = []
    for (const [id, fields] of entries) {
      // Pending, but deleted from the stream (by a drain while this node was thought dead): nothing left to deliver.
      if (fields === null) {
        delivered.push(id)
        continue
      }
      let records: ForwardedMessage[]
      try {
        records = decodeEntry(fields[1])
      } catch (error) {
        // Left pending: a node that can read it (a newer version) may take it over.
        this.logger.error({ err: error, entry: id.toString() }, 'cluster: a stream entry could not be read; left in the stream')
        continue
      }
      this.sink.deliverForwarded(records, onlyClients)
      delivered.push(id)
    }
    return delivered
  }

  private async recover(error: Error): Promise<void> {
    if (error.message !== this.trouble) {
      this.trouble = error.message
      this.logger.warn({ err: error }, `cluster: reading this node's stream failed (${error.message}); reading again shortly`)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    // The stream went (deleted while this node was thought dead): NOGROUP, or UNBLOCKED for a read it cut short.
    if (/NOGROUP|no longer exists/.test(error.message)) await this.createGroup().catch(() => {})
  }
}

/** Deletes a drained stream, unless entries came meanwhile or its node is alive again (KEYS: stream, liveness). */
const DELETE_IF_EMPTY_SCRIPT = `if redis.call('exists', KEYS[2]) == 0 and redis.call('xlen', KEYS[1]) == 0 then return redis.call('del', KEYS[1]) end return 0`

/** An entry as XRANGE / XREADGROUP answer it: id and [field, value]; null fields for a pending entry deleted since. */
type StreamEntry = [Buffer, Buffer[] | null]
