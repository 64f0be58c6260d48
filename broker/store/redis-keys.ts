/**
 * Where the Redis store keeps what, under a prefix of the caller's (`keyPrefix`, so several brokers or tests can
 * share one Redis).
 *
 * Every key of one session carries the hash tag `{<clientId>}`, so in a Redis Cluster they all live in one slot
 * and one MULTI can change them together:
 *   tp:{id}:session          string   the SessionRecord (JSON)
 *   tp:{id}:subscriptions    hash     full filter -> SubscriptionRecord (JSON)
 *   tp:{id}:inflight         hash     packet id -> InflightRecord with its message (JSON)
 *   tp:{id}:inflight-order   zset     packet id scored by when it was first sent; a move to pubrel keeps the score
 *   tp:{id}:incoming         set      packet ids of inbound QoS 2 messages awaiting PUBREL
 *   tp:{id}:queue            list     queued deliveries with their messages (JSON), oldest at the head
 *   tp:{id}:queue-bytes      string   payload bytes in the queue, kept with every push and pop
 * Broker-wide keys:
 *   tp:format                string   STORE_FORMAT_VERSION
 *   tp:sessions              set      client ids of stored sessions (the index read at open)
 *   tp:retained              hash     topic -> retained message (JSON)
 *   tp:meta                  zset     'last-message-id' scored by the highest message id seen (ZADD GT)
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  get format(): string {
    return `${this.prefix}tp:format`
  }

  get sessions(): string {
    return `${this.prefix}tp:sessions`
  }

  get retained(): string {
    return `${this.prefix}tp:retained`
  }

  get meta(): string {
    return `${this.prefix}tp:meta`
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

  /** Every key a session owns, for deleting it. */
  allOfSession(clientId: string): string[] {
    return ['session', 'subscriptions', 'inflight', 'inflight-order', 'incoming', 'queue', 'queue-bytes'].map((part) =>
      this.ofSession(clientId, part)
    )
  }

  private ofSession(clientId: string, part: string): string {
    return `${this.prefix}tp:{${clientId}}:${part}`
  }
}

/** The member of `tp:meta` that holds the highest message id. */
export const LAST_MESSAGE_ID = 'last-message-id'

/**
 * The layout above and the JSON forms in redis-codec.ts. Bump it when a key or a stored form changes, and teach
 * open() to read the older format or to refuse it with a clear message.
 */
export const STORE_FORMAT_VERSION = 1
