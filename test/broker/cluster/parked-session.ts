import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { Redis } from 'ioredis'
import type { Message } from '../../../broker/message.js'
import type { CliBroker } from '../../helpers/cli-broker.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { filterKnown, memberOfNode, redisClient, startClusterNodes } from './cluster-nodes.js'

/** Three nodes on a Redis of their own, and a session left offline on one of them. */
export interface ParkedSession {
  nodes: CliBroker[]
  /** A plain client for the cluster's keys. */
  look: Redis
  /** The member of n1, n2 and n3. */
  members: string[]
  subscriber: CrashSubscriber
}

/**
 * Nodes n1, n2 and n3 (or the first `count` of them, with `extra` on their command lines) on a new Redis, and a
 * persistent 5.0 session `clientId` subscribed to `filter` at QoS 2 on node `on` (0 for n1), offline there once the
 * other nodes know the filter. For tests that append to a member's stream what another node would have (a late
 * sender, a relay), at the moment they need it.
 */
export async function parkedSession(
  t: TestContext,
  clientId: string,
  filter: string,
  on: number,
  count = 3,
  extra: string[] = []
): Promise<ParkedSession> {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const nodes = await startClusterNodes(t, redis.url, count, 1, extra)
  const look = redisClient(t, redis.url)
  const members = await Promise.all(nodes.map((_, i) => memberOfNode(look, `n${i + 1}`)))
  const subscriber = new CrashSubscriber(clientId, { clientId, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } })
  t.after(() => subscriber.drop())
  await subscriber.connect(nodes[on].urls[0])
  await subscriber.subscribe(filter, 2)
  await filterKnown(look, `n${on + 1}`, filter)
  subscriber.drop()
  return { nodes, look, members, subscriber }
}

/** A QoS 2 message as a node forwards it, published there as message `id`. */
export function qos2Message(id: number, topic: string, payload: string): Message {
  return {
    id,
    topic,
    payload: Buffer.from(payload),
    qos: 2,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: Date.now(),
    origin: 'test-publisher',
    forms: undefined
  }
}

/** Waits (10 s at most) for the subscriber's first message, then a little more: it must have got `payload` alone, once. */
export async function receivedOnce(subscriber: CrashSubscriber, payload: string, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; subscriber.received().length === 0; await sleep(50)) {
    assert.ok(Date.now() < deadline, `${what} reached the session`)
  }
  await sleep(2000)
  assert.deepEqual(
    subscriber.received().map((message) => message.payload.toString()),
    [payload],
    'the QoS 2 message arrived exactly once'
  )
}
