import type { Logger } from 'pino'
import type { DeliverySources } from '../store/delivery-sources.js'
import { REPLICA_WAIT_MS } from '../store/redis-commit.js'
import type { RedisClient } from '../store/redis-connection.js'
import { AppendBacklog } from './append-backlog.js'
import { type ClusterKeys, STREAM_GROUP } from './cluster-keys.js'
import { DrainedSessions } from './drained-sessions.js'
import { entryOf } from './entry-of.js'
import { decodeEntry, encodeEntryHead, type ForwardedMessage } from './forwarded-codec.js'
import type { AdoptedSessions, ForwardedSink } from './forwarded-sink.js'
import { createStreamGroup } from './stream-group.js'

/** One entry on its way to a member's stream; `from`: the dead member it was meant for, when redirected. */
interface Append {
  member: string
  data: Buffer
  from?: string
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

/** How long a drained member's stream is known to have moved: far longer than any member goes on appending to it. */
const MOVED_MS = 3_600_000
const NO_CLIENTS: ReadonlySet<string> = new Set()

/**
 * The cross-node hop: each member (a run of a node, cluster-keys.ts) has an inbound Redis Stream (`stream:<member>`)
 * read through a consumer group; other members append the messages it must deliver, several per entry
 * (forwarded-codec.ts).
 *
 * Why Streams and not pub/sub (what Aedes' mqemitter-redis uses): pub/sub keeps nothing. A message published while a
 * node is reconnecting, restarting or paused is gone; a node that reads slower than messages come is cut off by Redis
 * once its output buffer passes `client-output-buffer-limit pubsub` (32 MB, or 8 MB for 60 s), losing all it had not
 * read; and a node that dies between reading a message and storing it has no way to read it again. A stream keeps each
 * entry (in the AOF, like the store) until the node acknowledges it, and a reader goes at its own pace: a slow node
 * only falls behind. The test "a node that stops reading loses nothing" (test/broker/cluster) holds a node still
 * while others publish to it.
 *
 * Sending: appends join the open send; it goes as one pipeline (one append per member and entry) once Redis has
 * answered the previous send, after the current I/O phase (or at once past SEND_BYTES). `flush()` is the promise of
 * the send holding the latest append, so PUBACK / PUBREC also wait for the hop. A member is appended to whether or not
 * it looks alive: an append dropped while it is being recovered would be a message acknowledged and lost. A dead
 * member's stream is drained by the member that recovers it, which then deletes it and leaves `moved:<member>` naming
 * itself, in one step. Appends never create a stream (NOMKSTREAM): one that finds the stream gone goes to the
 * recoverer named there, marked with the dead member, and is delivered to the sessions adopted from it, as the drain
 * delivered the rest. So nothing appended to a dead member is left where nobody reads it, however late the sender
 * heard of the death, and a restarted node (a new member, with a stream of its own) never gets its previous run's.
 *
 * Receiving: pending entries first (read before a crash, never acknowledged), then new ones; each batch is delivered,
 * then XACK + XDEL only once the store has made the deliveries durable (and an entry relayed for a session on its way
 * here, once the session has it: `acknowledgeOnceGiven`). An entry delivered but not acknowledged before a crash is
 * delivered again (at least once).
 */
export class NodeStream {
  private open: Outbound | undefined
  private readonly inFlight: Outbound[] = []
  /** The open send and those in flight: past two sends' worth, publishers wait for Redis. */
  private readonly unsent = new AppendBacklog(2 * SEND_BYTES, SEND_BYTES)
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
  /** Unset: a stream entry delivered just before a crash may be delivered again by the drain (at least once). */
  private sources: DeliverySources | undefined

  constructor(
    private readonly member: string,
    private readonly connections: { commands: RedisClient; reader: RedisClient },
    private readonly keys: ClusterKeys,
    private readonly sink: ForwardedSink & AdoptedSessions,
    private readonly logger: Logger,
    /**
     * Whether a replica can be promoted in place of the server that took an append (Sentinel, a Cluster with
     * replicas): then an append counts only once a replica has it too (WAIT 1), as the store's writes do.
     */
    private readonly failsOverToReplicas: () => boolean = () => false
  ) {
    connections.reader.on('ready', () => {
      this.pendingUnread = true
    })
  }

  /** Where deliveries record the entry they came from (store/delivery-sources.ts); before `start`. */
  recordSources(sources: DeliverySources): void {
    this.sources = sources
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

  /** Adds a record (its head and the message body) to the next entry for `member`. */
  append(member: string, head: Buffer, body: Buffer): void {
    this.open ??= new Outbound()
    const batch = this.open
    const entries = entryOf(batch.entries, member, () => [])
    let entry = entries[entries.length - 1]
    if (entry === undefined || entry.count >= RECORDS_PER_ENTRY || entry.bytes >= ENTRY_BYTES) {
      entry = { parts: [], count: 0, bytes: 0 }
      entries.push(entry)
    }
    entry.parts.push(head, body)
    entry.count++
    entry.bytes += head.length + body.length
    batch.size += head.length + body.length
    this.unsent.appended(head.length + body.length)
    if (batch.size >= SEND_BYTES) this.send()
    else this.schedule()
  }

  /** What the publisher of the message just appended waits for before it sends more (AppendBacklog). */
  backlog(): Promise<void> | undefined {
    return this.unsent.wait()
  }

  flush(): Promise<void> {
    if (this.open !== undefined) return this.open.promise
    return this.inFlight[this.inFlight.length - 1]?.promise ?? RESOLVED
  }

  /**
   * Delivers every entry left in a dead member's stream (pending and unread) to the sessions of `clientIds` (and
   * what matches the filters of the sessions it had let go lately, as for a redirected entry: `handedOverFrom`, on to
   * wherever those are), deleting each batch once its deliveries are durable; once it is empty, deletes it and leaves
   * `moved:<dead member>` naming this member, in one step (an append that came meanwhile is drained first). Entries
   * are deleted one by one, never the whole stream with what came meanwhile.
   */
  async drain(deadMember: string, clientIds: ReadonlySet<string>): Promise<void> {
    const commands = this.connections.commands
    const key = this.keys.stream(deadMember)
    const [had, hadMessages] = await Promise.all([this.sources?.deliveredFrom(key, clientIds), this.sources?.deliveredMessages(clientIds)])
    const drained = new DrainedSessions(clientIds, had ?? new Map(), this.sink.handedOverFrom(deadMember))
    if (hadMessages !== undefined) this.sink.had(hadMessages)
    for (;;) {
      const entries = (await commands.xrangeBuffer(key, '-', '+', 'COUNT', READ_COUNT)) as StreamEntry[]
      if (entries.length > 0) {
        const ids = await this.deliver(entries, key, drained)
        await this.sink.durable()
        // An entry this node cannot read stays, and so does the stream: a newer node may read it.
        if (ids.length === 0) return
        await commands.xdel(key, ...ids)
        continue
      }
      if ((await commands.eval(RETIRE_IF_EMPTY_SCRIPT, 2, key, this.keys.moved(deadMember), this.member, MOVED_MS)) === 1) break
    }
    this.sources?.forgetSource(key, clientIds)
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
    const appends: Append[] = []
    for (const [member, entries] of batch.entries) {
      for (const entry of entries)
        appends.push({ member, data: Buffer.concat([encodeEntryHead(this.member, entry.count), ...entry.parts]) })
    }
    this.appendAll(appends).then(
      () => this.onSent(batch, undefined),
      (error: Error) => this.onSent(batch, error)
    )
  }

  /**
   * Appends each entry to its member's stream. One whose stream is gone (its member died and was drained) goes to the
   * recoverer that `moved:<member>` names; if that one's is gone too, the send fails: nothing is acknowledged.
   */
  private async appendAll(appends: Append[]): Promise<void> {
    const commands = this.connections.commands
    const pipeline = commands.pipeline()
    for (const { member, data, from } of appends) {
      if (from === undefined) pipeline.xadd(this.keys.stream(member), 'NOMKSTREAM', '*', 'm', data)
      else pipeline.xadd(this.keys.stream(member), 'NOMKSTREAM', '*', 'm', data, 'f', from)
    }
    const waits = this.failsOverToReplicas()
    if (waits) pipeline.wait(1, REPLICA_WAIT_MS)
    const answers = (await pipeline.exec()) ?? []
    if (waits && !((answers[appends.length]?.[1] as number) >= 1))
      throw new Error(`no replica confirmed the appends within ${REPLICA_WAIT_MS} ms (WAIT 1), so they are not acknowledged`)
    const gone: Append[] = []
    for (let i = 0; i < appends.length; i++) {
      const [error, id] = answers[i] ?? [new Error('no answer'), null]
      if (error !== null) throw error
      if (id === null) gone.push(appends[i])
    }
    if (gone.length === 0) return
    if (gone.some((append) => append.from !== undefined))
      throw new Error('the stream of the member that recovered a dead member is gone too')
    const movedTo = await commands.mget(...gone.map((append) => this.keys.moved(append.member)))
    await this.appendAll(
      gone.map((append, i) => {
        const to = movedTo[i]
        if (to === null) throw new Error(`member ${append.member} has no stream, and no recoverer took it over`)
        return { member: to, data: append.data, from: append.member }
      })
    )
  }

  private onSent(batch: Outbound, error: Error | undefined): void {
    this.inFlight.splice(this.inFlight.indexOf(batch), 1)
    this.unsent.answered(batch.size)
    if (error === undefined) batch.resolve()
    else batch.reject(new Error(`could not forward messages through Redis: ${error.message}`))
    if (this.open !== undefined && this.inFlight.length === 0) this.schedule()
  }

  private async createGroup(): Promise<void> {
    await createStreamGroup(this.connections.commands, this.keys, this.member)
  }

  /** Own pending entries first (from '0'), then new ones ('>'); after any error, pending again. */
  private async readLoop(): Promise<void> {
    const key = this.keys.stream(this.member)
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
          this.member,
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
        const ids = await this.deliver(entries, key)
        await this.sink.durable()
        if (ids.length > 0) await this.acknowledge(key, ids)
        this.trouble = undefined
      } catch (error) {
        if (this.stopped) break
        await this.recover(error as Error)
        cursor = '0'
      }
    }
  }

  private async acknowledge(key: string, ids: Buffer[]): Promise<void> {
    await this.connections.commands
      .multi()
      .xack(key, STREAM_GROUP, ...ids)
      .xdel(key, ...ids)
      .exec()
  }

  /**
   * An own entry that left messages held for a session on its way here, once they went to it and are durable. Till
   * then it stays pending: read again after a reconnect (given once: RecoveryOverlap), or drained after a crash.
   */
  private acknowledgeOnceGiven(key: string, id: Buffer, holding: Promise<void>): void {
    holding
      .then(() => this.sink.durable())
      .then(() => this.acknowledge(key, [id]))
      .catch((error: unknown) => {
        this.logger.warn({ err: error, entry: id.toString() }, 'cluster: a stream entry stays pending; it is read again later')
      })
  }

  /**
   * Delivers the entries it can read; returns the ids of those to acknowledge now (`acknowledgeOnceGiven`: later).
   * An entry redirected here from a dead member's stream (field `f`) goes to the sessions adopted from that member, as
   * its drain delivered the rest.
   */
  private async deliver(entries: StreamEntry[], stream: string, drained?: DrainedSessions): Promise<Buffer[]> {
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
      const entryId = id.toString()
      const from = fields[2]?.toString() === 'f' ? fields[3]?.toString() : undefined
      const onlyClients =
        drained !== undefined ? drained.without(entryId) : from === undefined ? undefined : (this.sink.adoptedFrom(from) ?? NO_CLIENTS)
      const handedOver = drained !== undefined ? drained.handedOver : from === undefined ? undefined : this.sink.handedOverFrom(from)
      this.sources?.deliveringFrom({ stream, id: entryId })
      try {
        this.sink.deliverForwarded(records, onlyClients, handedOver)
      } finally {
        this.sources?.deliveringFrom(undefined)
      }
      const holding = this.sink.holding()
      // A drain deletes its entries as it goes; its sessions are here already (opens of them wait for the recovery).
      if (holding !== undefined && drained === undefined) this.acknowledgeOnceGiven(stream, id, holding)
      else delivered.push(id)
      await this.sink.held() // undefined unless a session asked the reader to wait
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

/**
 * Deletes a drained stream and names its recoverer, unless entries came meanwhile (KEYS: stream, moved; ARGV: the
 * recovering member, how long the name is kept).
 */
const RETIRE_IF_EMPTY_SCRIPT = `if redis.call('xlen', KEYS[1]) > 0 then return 0 end
redis.call('del', KEYS[1])
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1`

/**
 * An entry as XRANGE / XREADGROUP answer it: id and [field, value, ...] ('m' the records, 'f' the dead member a
 * redirected entry was meant for); null fields for a pending entry deleted since.
 */
type StreamEntry = [Buffer, Buffer[] | null]
