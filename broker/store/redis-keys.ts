/**
 * Where the Redis store keeps what, under a prefix of the caller's (`keyPrefix`, so several brokers or tests can
 * share one Redis).
 *
 * Every key of one session carries the hash tag `{<clientId>}`, so in a Redis Cluster they all live in one slot
 * and one MULTI can change them together:
 *   tp:{id}:session          string   the SessionRecord (JSON)
 *   tp:{id}:subscriptions    hash     full filter -> SubscriptionRecord (JSON)
 *   tp:{id}:inflight         hash     packet id -> InflightRecord with its message and its place in the sending order
 *                                     (JSON; a move to pubrel keeps the place)
 *   tp:{id}:inflight-order   zset     format 2 only: the places of records written without one; read, never written
 *   tp:{id}:incoming         set      packet ids of inbound QoS 2 messages awaiting PUBREL
 *   tp:{id}:queue            list     queued deliveries with their messages (JSON), oldest at the head
 *   tp:{id}:queue-bytes      string   payload bytes in the queue, kept with every push and pop
 *   tp:{id}:will             string   the will of the session's connection while a node holds it (cluster only; JSON)
 *   tp:{id}:lease            string   `<node>:<epoch>`: the node whose writes for the session are applied (cluster
 *                                     only; `:<epoch>` once released; never deleted, so the epoch only grows)
 * Broker-wide keys share the hash tag `{store}`, so in a Redis Cluster they sit on one shard:
 *   tp:{store}:format        string   STORE_FORMAT_VERSION
 *   tp:{store}:sessions      set      client ids of stored sessions (the index read at open)
 *   tp:{store}:retained      hash     topic -> retained message (JSON)
 *   tp:{store}:meta          zset     'last-message-id' scored by the highest message id seen (ZADD GT)
 * (A client whose id is `store` shares that slot; its keys' names differ from these, so nothing collides.)
 */
export class RedisKeys {
  /** What every tagged key starts with, and the broker-wide keys among them: `sessionOf` runs for every write. */
  private readonly tagged: string
  private readonly brokerWide: ReadonlySet<string>

  constructor(readonly prefix: string) {
    this.tagged = `${prefix}tp:{`
    this.brokerWide = new Set([this.format, this.sessions, this.retained, this.meta])
  }

  get format(): string {
    return `${this.prefix}tp:{store}:format`
  }

  get sessions(): string {
    return `${this.prefix}tp:{store}:sessions`
  }

  get retained(): string {
    return `${this.prefix}tp:{store}:retained`
  }

  get meta(): string {
    return `${this.prefix}tp:{store}:meta`
  }

  session(clientId: string): string {
    return this.ofSession(clientId, 'session')
  }

  subscriptions(clientId: string): string {
    return this.ofSession(clientId, 'subscriptions')
  }

  inflight(clientId: string): string {
    return this.ofSession(clientId, 'inflight')
  }

  inflightOrder(clientId: string): string {
    return this.ofSession(clientId, 'inflight-order')
  }

  incoming(clientId: string): string {
    return this.ofSession(clientId, 'incoming')
  }

  queue(clientId: string): string {
    return this.ofSession(clientId, 'queue')
  }

  queueBytes(clientId: string): string {
    return this.ofSession(clientId, 'queue-bytes')
  }

  will(clientId: string): string {
    return this.ofSession(clientId, 'will')
  }

  lease(clientId: string): string {
    return this.ofSession(clientId, 'lease')
  }

  /** Per cluster stream, the last entry whose deliveries the session has (cluster: a drain skips those). */
  sources(clientId: string): string {
    return this.ofSession(clientId, 'sources')
  }

  /** Identities of messages the session had lately, scored by when (cluster: delivery-sources.ts). */
  seen(clientId: string): string {
    return this.ofSession(clientId, 'seen')
  }

  /** The client id whose hash tag `key` carries, or undefined for a broker-wide key. */
  sessionOf(key: string): string | undefined {
    if (!key.startsWith(this.tagged)) return undefined
    // The broker-wide keys carry a tag too ({store}), but belong to no session.
    if (this.brokerWide.has(key)) return undefined
    // The part after the tag has no '}', so the last '}:' closes the tag even when the client id holds one.
    return key.slice(this.tagged.length, key.lastIndexOf('}:'))
  }

  /** Every key a session owns, for deleting it (not its lease: the epoch must outlive the session). */
  allOfSession(clientId: string): string[] {
    return ['session', 'subscriptions', 'inflight', 'inflight-order', 'incoming', 'queue', 'queue-bytes', 'will', 'sources', 'seen'].map(
      (part) => this.ofSession(clientId, part)
    )
  }

  /** Format 1 kept the broker-wide keys untagged; open() moves them (redis-format.ts). */
  get format1(): { format: string; sessions: string; retained: string; meta: string } {
    const old = (name: string): string => `${this.prefix}tp:${name}`
    return { format: old('format'), sessions: old('sessions'), retained: old('retained'), meta: old('meta') }
  }

  private ofSession(clientId: string, part: string): string {
    return `${this.prefix}tp:{${clientId}}:${part}`
  }
}

/**
 * The hash tag of a key as Redis Cluster reads it: what stands between the first `{` and the first `}` after it, when
 * that is not empty; otherwise the whole key. Keys with one tag hash to one slot.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{')
  if (open < 0) return key
  const close = key.indexOf('}', open + 1)
  return close > open + 1 ? key.slice(open + 1, close) : key
}

/** The member of `tp:meta` that holds the highest message id. */
export const LAST_MESSAGE_ID = 'last-message-id'

/**
 * The layout above and the JSON forms in redis-codec.ts. Bump it when a key or a stored form changes, and teach
 * open() to read the older format or to refuse it with a clear message (redis-format.ts).
 * 1: broker-wide keys without a hash tag (tp:format, tp:sessions, ...). 2: they share `{store}`. 3: an in-flight
 * record carries its place in the sending order (no ZADD and ZREM per record); format 2's records, placed by
 * `inflight-order`, are read as they are, so 2 becomes 3 by rewriting the format key alone. A format 2 broker would
 * lose format 3's in-flight records, which is why the version goes up: it refuses the store at open.
 */
export const STORE_FORMAT_VERSION = 3
