import { SEEN_KEPT_MS } from './delivery-sources.js'
import type { RedisBatch, RedisCommand } from './redis-batch.js'
import type { RedisClient } from './redis-connection.js'
import type { RedisKeys } from './redis-keys.js'

/**
 * The Redis store's half of DeliverySources (RedisDeliveryMarks): while a stream entry or a cross-node message is
 * being delivered, the first write of each session records where it came from in the same batch, so the write and
 * the record are one atomic step; and the reads of those records when a session is drained or taken over.
 */
export class RedisDeliveryMarks {
  /** The stream entry being delivered now, and the sessions its record was written for. */
  private source: { stream: string; id: string; marked: Set<string> } | undefined
  /**
   * The message being delivered now (undefined: none, or none recorded), which sessions record it, and those its
   * identity was recorded for. Fields set again for each message rather than an object made for it: while a session
   * is new on this node, every message routed here is delivered this way.
   */
  private identity: string | undefined
  private recordsFor: ((clientId: string) => boolean) | undefined
  private readonly recorded = new Set<string>()
  /**
   * Each batch's ZADD per session: the identities of the batch's later deliveries to the session join it, so a session
   * that gets many messages in one batch costs one command, not one per message. Weak: a sent batch is not kept.
   */
  private readonly recordings = new WeakMap<RedisBatch, Map<string, RedisCommand>>()
  /** When each session's recorded identities were last trimmed to SEEN_KEPT_MS. */
  private readonly seenTrimmed = new Map<string, number>()

  constructor(
    private readonly keys: RedisKeys,
    private readonly redis: RedisClient
  ) {}

  /** Something is being delivered: writes need marking. */
  get active(): boolean {
    return this.source !== undefined || this.identity !== undefined
  }

  deliveringFrom(source: { readonly stream: string; readonly id: string } | undefined): void {
    this.source = source === undefined ? undefined : { stream: source.stream, id: source.id, marked: new Set() }
  }

  deliveringMessage(identity: string | undefined, recordsFor?: (clientId: string) => boolean): void {
    this.identity = recordsFor === undefined ? undefined : identity
    this.recordsFor = recordsFor
    this.recorded.clear()
  }

  async deliveredMessages(clientIds: Iterable<string>): Promise<Map<string, string[]>> {
    const ids = [...clientIds]
    const since = Date.now() - SEEN_KEPT_MS
    const answers = await Promise.all(ids.map((clientId) => this.redis.zrangebyscore(this.keys.seen(clientId), since, '+inf')))
    const delivered = new Map<string, string[]>()
    ids.forEach((clientId, i) => {
      if (answers[i].length > 0) delivered.set(clientId, answers[i])
    })
    return delivered
  }

  async deliveredFrom(stream: string, clientIds: Iterable<string>): Promise<Map<string, string>> {
    // One command per session, not a pipeline: on a Redis Cluster the sessions' keys live on different shards.
    const ids = [...clientIds]
    const answers = await Promise.all(ids.map((clientId) => this.redis.hget(this.keys.sources(clientId), stream)))
    const delivered = new Map<string, string>()
    ids.forEach((clientId, i) => {
      const id = answers[i]
      if (id !== null && id !== undefined) delivered.set(clientId, id)
    })
    return delivered
  }

  /**
   * Before a session's first write while an entry or a message is delivered: the entry, and the message's identity
   * where it is recorded for the session, in the same batch (one atomic step).
   */
  mark(batch: RedisBatch, key: string): void {
    const clientId = this.keys.sessionOf(key)
    if (clientId === undefined) return
    const source = this.source
    if (source !== undefined && !source.marked.has(clientId)) {
      source.marked.add(clientId)
      batch.add(['hset', this.keys.sources(clientId), source.stream, source.id])
    }
    const identity = this.identity
    if (identity === undefined || this.recorded.has(clientId) || !this.recordsFor!(clientId)) return
    this.recorded.add(clientId)
    const now = Date.now()
    let recordings = this.recordings.get(batch)
    if (recordings === undefined) {
      recordings = new Map()
      this.recordings.set(batch, recordings)
    }
    const recording = recordings.get(clientId)
    if (recording !== undefined) {
      recording.push(now, identity)
      return
    }
    const seen = this.keys.seen(clientId)
    const zadd: RedisCommand = ['zadd', seen, now, identity]
    recordings.set(clientId, zadd)
    batch.add(zadd)
    // Trimmed at most once a second per session; the key goes with the last identity recorded.
    if (now - (this.seenTrimmed.get(clientId) ?? 0) < 1000) return
    if (this.seenTrimmed.size >= 4096) this.seenTrimmed.clear()
    this.seenTrimmed.set(clientId, now)
    batch.add(['zremrangebyscore', seen, '-inf', now - SEEN_KEPT_MS])
    batch.add(['pexpire', seen, SEEN_KEPT_MS])
  }
}
