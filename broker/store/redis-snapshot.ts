import { inRounds } from './in-rounds.js'
import { decodeInflight, decodeMessage, decodeSession, decodeSubscription } from './redis-codec.js'
import type { RedisClient } from './redis-connection.js'
import { LAST_MESSAGE_ID, type RedisKeys } from './redis-keys.js'
import type { InflightRecord, StoredSession, StoreSnapshot } from './store.js'

/** What open() finds in Redis: the snapshot to restore, and what the store itself goes on from. */
export interface RedisSnapshot {
  snapshot: StoreSnapshot
  /** Each stored session's queue length and payload bytes; the entries stay in Redis until read. */
  queues: Map<string, { count: number; bytes: number }>
  /** The highest in-flight order score: new in-flight records are scored after it. */
  lastInflightOrder: number
  /** Per session, each in-flight record's place in the sending order (a record moved to pubrel keeps it). */
  inflightOrders: Map<string, Map<number, number>>
}

/** One stored session as read, with its queue's size and each in-flight record's place in the sending order. */
export interface ReadSession {
  session: StoredSession
  queue: { count: number; bytes: number }
  /** Packet id -> place in the sending order, for the records in `session.inflight`. */
  inflightOrders: Map<number, number>
  lastInflightOrder: number
}

/**
 * Reads the stored sessions (`only` those, or every one in the `tp:sessions` index), the retained messages and the
 * last message id.
 */
export async function readSnapshot(redis: RedisClient, keys: RedisKeys, only?: readonly string[]): Promise<RedisSnapshot> {
  const [clientIds, retained, lastMessageId] = await Promise.all([
    only ?? redis.smembers(keys.sessions),
    redis.hvals(keys.retained),
    redis.zscore(keys.meta, LAST_MESSAGE_ID)
  ])
  const sessions: StoredSession[] = []
  const queues = new Map<string, { count: number; bytes: number }>()
  const inflightOrders = new Map<string, Map<number, number>>()
  let lastInflightOrder = 0
  // A round at a time: one round trip for many, without holding every answer at once.
  await inRounds(clientIds, async (clientId) => {
    const read = await readSession(redis, keys, clientId)
    if (read === undefined) return
    sessions.push(read.session)
    queues.set(clientId, read.queue)
    if (read.inflightOrders.size > 0) inflightOrders.set(clientId, read.inflightOrders)
    lastInflightOrder = Math.max(lastInflightOrder, read.lastInflightOrder)
  })
  return {
    snapshot: { sessions, retained: retained.map(decodeMessage), lastMessageId: Number(lastMessageId ?? 0) },
    queues,
    lastInflightOrder,
    inflightOrders
  }
}

/** One stored session with its queue's size, or undefined when there is none. */
export async function readSession(redis: RedisClient, keys: RedisKeys, clientId: string): Promise<ReadSession | undefined> {
  const results = await redis
    .pipeline()
    .get(keys.session(clientId))
    .hvals(keys.subscriptions(clientId))
    .hgetall(keys.inflight(clientId))
    .zrange(keys.inflightOrder(clientId), '0', '-1', 'WITHSCORES')
    .smembers(keys.incoming(clientId))
    .llen(keys.queue(clientId))
    .get(keys.queueBytes(clientId))
    .exec()
  if (results === null) throw new Error(`no answer from Redis reading session ${clientId}`)
  for (const [error] of results) if (error !== null) throw error
  const [record, subscriptions, inflight, order, incoming, queueLength, queueBytes] = results.map(([, value]) => value) as [
    string | null,
    string[],
    Record<string, string>,
    string[],
    string[],
    number,
    string | null
  ]
  if (record === null) return undefined
  const { inflight: inflightInOrder, orders, lastInflightOrder } = inflightInSendingOrder(inflight, order)
  return {
    session: {
      record: decodeSession(record),
      subscriptions: subscriptions.map(decodeSubscription),
      inflight: inflightInOrder,
      incomingQos2: incoming.map(Number).sort((a, b) => a - b)
    },
    queue: { count: queueLength, bytes: Number(queueBytes ?? 0) },
    inflightOrders: orders,
    lastInflightOrder
  }
}

/**
 * The in-flight records by their place in the sending order: the one each carries (format 3), or for a record
 * written by format 2 its score in the `inflight-order` sorted set (`scored`: member, score, ...). A member whose
 * record is gone is left over from format 2 (its deletes no longer touch the set) and is skipped.
 */
function inflightInSendingOrder(
  records: Record<string, string>,
  scored: string[]
): { inflight: InflightRecord[]; orders: Map<number, number>; lastInflightOrder: number } {
  const scores = new Map<string, number>()
  for (let i = 0; i < scored.length; i += 2) scores.set(scored[i], Number(scored[i + 1]))
  const placed = Object.entries(records).map(([packetId, text]) => {
    const { record, order } = decodeInflight(text)
    return { record, order: order ?? scores.get(packetId) ?? 0 }
  })
  placed.sort((a, b) => a.order - b.order)
  return {
    inflight: placed.map(({ record }) => record),
    orders: new Map(placed.map(({ record, order }) => [record.packetId, order])),
    lastInflightOrder: placed.reduce((last, { order }) => Math.max(last, order), 0)
  }
}
