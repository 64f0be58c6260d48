import { inRounds } from './in-rounds.js'
import { decodeInflight, decodeMessage, decodeSession, decodeSubscription } from './redis-codec.js'
import type { RedisClient } from './redis-connection.js'
import { LAST_MESSAGE_ID, type RedisKeys } from './redis-keys.js'
import type { StoredSession, StoreSnapshot } from './store.js'

/** What open() finds in Redis: the snapshot to restore, and what the store itself goes on from. */
export interface RedisSnapshot {
  snapshot: StoreSnapshot
  /** Each stored session's queue length and payload bytes; the entries stay in Redis until read. */
  queues: Map<string, { count: number; bytes: number }>
  /** The highest in-flight order score: new in-flight records are scored after it. */
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
  let lastInflightOrder = 0
  // A round at a time: one round trip for many, without holding every answer at once.
  await inRounds(clientIds, async (clientId) => {
    const read = await readSession(redis, keys, clientId)
    if (read === undefined) return
    sessions.push(read.session)
    queues.set(clientId, read.queue)
    lastInflightOrder = Math.max(lastInflightOrder, read.lastInflightOrder)
  })
  return {
    snapshot: { sessions, retained: retained.map(decodeMessage), lastMessageId: Number(lastMessageId ?? 0) },
    queues,
    lastInflightOrder
  }
}

/** One stored session with its queue's size, or undefined when there is none. */
export async function readSession(
  redis: RedisClient,
  keys: RedisKeys,
  clientId: string
): Promise<{ session: StoredSession; queue: { count: number; bytes: number }; lastInflightOrder: number } | undefined> {
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
  const inflightInOrder = []
  for (let i = 0; i < order.length; i += 2) {
    const text = inflight[order[i]]
    if (text !== undefined) inflightInOrder.push(decodeInflight(text))
  }
  return {
    session: {
      record: decodeSession(record),
      subscriptions: subscriptions.map(decodeSubscription),
      inflight: inflightInOrder,
      incomingQos2: incoming.map(Number).sort((a, b) => a - b)
    },
    queue: { count: queueLength, bytes: Number(queueBytes ?? 0) },
    lastInflightOrder: order.length === 0 ? 0 : Number(order[order.length - 1])
  }
}
