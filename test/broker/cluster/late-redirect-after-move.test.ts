import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeEntry } from '../../../broker/cluster/forwarded-codec.js'
import { RELAY_GRACE_MS } from '../../../broker/cluster/session-relay.js'
import type { Message } from '../../../broker/message.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { filterKnown, memberOfNode, redisClient, startClusterNodes } from './cluster-nodes.js'

/** A node that heard of the dead member late, as NodeStream sends it: its own member, and a message published there. */
const LATE_SENDER = 'n9@late'

function lateMessage(id: number, payload: string): Message {
  const now = Date.now()
  return {
    id,
    topic: 'late/x',
    payload: Buffer.from(payload),
    qos: 2,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: now,
    origin: 'late-publisher',
    forms: undefined
  }
}

/**
 * A message a late sender appended to a dead member's stream reaches its recoverer (redirected, node-stream.ts) for
 * the sessions adopted from that member. When such a session has meanwhile moved on to a third node, and that node's
 * relay is over (session-relay.ts), the recoverer sends the copy on to whoever holds the session's lease now, as a
 * copy for that client with the message's identity: it arrives, once, however long after the move.
 */
test('a message redirected from a dead member reaches its session after the session moved on', { timeout: 90_000 }, async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const nodes = await startClusterNodes(t, redis.url, 3)
  const look = redisClient(t, redis.url)
  const members = await Promise.all(['n1', 'n2', 'n3'].map((node) => memberOfNode(look, node)))
  const subscriber = new CrashSubscriber('late-sub', {
    clientId: 'late-sub',
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 }
  })
  t.after(() => subscriber.drop())
  await subscriber.connect(nodes[1].urls[0])
  await subscriber.subscribe('late/#', 2)
  await filterKnown(look, 'n2', 'late/#')
  subscriber.drop()

  nodes[1].child.kill('SIGKILL')
  let recoverer: string | null = null
  for (const deadline = Date.now() + 30_000; recoverer === null; await sleep(100)) {
    assert.ok(Date.now() < deadline, 'the dead node was recovered within 30 s')
    recoverer = await look.get(`tp:{cluster}:moved:${members[1]}`)
  }
  const holder = recoverer === members[0] ? 2 : 0
  const connack = await subscriber.connect(nodes[holder].urls[0])
  assert.equal(connack.sessionPresent, true, 'the session moved on to the third node')
  await sleep(RELAY_GRACE_MS + 1000)

  // Two late senders with the same message (one published message, appended twice): given to the session once.
  for (let copy = 0; copy < 2; copy++) {
    const entry = encodeEntry(LATE_SENDER, [{ message: lateMessage(7, 'late-1'), plain: true, groups: [], publisher: LATE_SENDER }])
    await look.xadd(`tp:{cluster}:stream:${recoverer}`, '*', 'm', entry, 'f', members[1])
  }
  for (const deadline = Date.now() + 10_000; subscriber.received().length === 0; await sleep(50)) {
    assert.ok(Date.now() < deadline, 'the redirected message reached the session on its new node')
  }
  await sleep(2000)
  assert.deepEqual(
    subscriber.received().map((message) => message.payload.toString()),
    ['late-1'],
    'the QoS 2 message arrived exactly once'
  )
})
