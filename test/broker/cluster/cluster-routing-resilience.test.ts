import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { pino } from 'pino'
import { Broker } from '../../../broker/broker.js'
import { ClusterNode } from '../../../broker/cluster/cluster-node.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { filterKnown, memberOfNode, redisClient, startClusterNodes } from './cluster-nodes.js'

// What the streams between nodes are for: a node that stops reading for a while, a Redis restart and a dead node's
// unread messages lose nothing that was acknowledged.

/**
 * Two nodes on a Redis of their own: on n2 a subscriber with a QoS 1 subscription to `filter`, which n1 knows of, and
 * on n1 a publisher.
 */
async function acrossTwoNodes(t: TestContext, filter: string, subscriberId: string, publisherId: string) {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const [n1, n2] = await startClusterNodes(t, redis.url, 2)
  const look = redisClient(t, redis.url)
  const subscriber = await connectClient(t, n2!.urls[0]!, { clientId: subscriberId, protocolVersion: 5 })
  await subscriber.client.subscribeAsync(filter, { qos: 1 })
  await filterKnown(look, 'n2', filter)
  const publisher = await connectClient(t, n1!.urls[0]!, { clientId: publisherId, protocolVersion: 5 })
  return { redis, n1, n2, look, subscriber, publisher }
}

test('a node that stops reading while messages for it pile up loses none of them', async (t) => {
  const { n2, look, subscriber, publisher } = await acrossTwoNodes(t, 'line/#', 'slow-reader', 'fast-writer')

  // Held still (SIGSTOP) for less than its liveness time-to-live: slow, not dead. Pub/sub would have delivered to a
  // socket nobody reads; the stream keeps every entry until n2 acknowledges it.
  const n2Stream = `tp:{cluster}:stream:${await memberOfNode(look, 'n2')}`
  n2!.child.kill('SIGSTOP')
  const count = 500
  const payload = 'x'.repeat(1000)
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => publisher.client.publishAsync(`line/${i}`, `${i}:${payload}`, { qos: 1 })))
    const waiting = await look.xlen(n2Stream)
    assert.ok(waiting > 0, 'entries wait in the stream of the stopped node')
  } finally {
    n2!.child.kill('SIGCONT')
  }
  const received = await subscriber.inbox.take(count, 15_000)
  assert.deepEqual(
    received.map((m) => Number(m.payload.toString().split(':')[0])).sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i)
  )
  await sleep(500)
  assert.equal(await look.xlen(n2Stream), 0, 'acknowledged and deleted once delivered')
})

test('a burst of QoS 1 messages to a subscriber on another node is slowed by its back-pressure, not cut by the default queue limit', async (t) => {
  const { subscriber, publisher } = await acrossTwoNodes(t, 'burst/#', 'burst-reader', 'burst-writer')
  // Five times the default max_queued_messages (1000), as fast as a window of 100 allows: every one acknowledged.
  const count = 5000
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < count) {
      const seq = next++
      await publisher.client.publishAsync(`burst/${seq % 10}`, String(seq), { qos: 1 })
    }
  }
  await Promise.all(Array.from({ length: 100 }, lane))
  const received = await subscriber.inbox.take(count, 30_000)
  assert.deepEqual(
    received.map((m) => Number(m.payload.toString())).sort((a, b) => a - b),
    Array.from({ length: count }, (_, i) => i)
  )
})

test('Redis restarted mid-run: routing resumes and every acknowledged message reaches the subscriber on the other node', async (t) => {
  const { redis, subscriber, publisher } = await acrossTwoNodes(t, 'meter/#', 'steady', 'meter')

  const acknowledged: number[] = []
  let refused = 0
  let afterRestart = 0
  let restarted = false
  for (let i = 0; afterRestart < 100; i++) {
    if (i === 100) {
      await redis.crash()
      setTimeout(() => {
        redis.restart().then(() => {
          restarted = true
        })
      }, 300)
    }
    try {
      await publisher.client.publishAsync('meter/1', String(i), { qos: 1 })
      acknowledged.push(i)
      if (restarted) afterRestart++
    } catch {
      refused++ // 0x97 while Redis is away: not acknowledged, so the publisher keeps it
      await sleep(20)
    }
    assert.ok(i < 5000, 'routing never resumed')
  }
  assert.ok(refused > 0, 'publishes were refused while Redis was away')
  const deadline = Date.now() + 15_000
  const missing = (): number[] => {
    const got = new Set(subscriber.inbox.all.map((m) => Number(m.payload.toString())))
    return acknowledged.filter((i) => !got.has(i))
  }
  while (missing().length > 0 && Date.now() < deadline) await sleep(100)
  assert.deepEqual(missing(), [], 'every acknowledged message arrived')
})

test("a dead node's unread messages are drained to the sessions now on the recovering node, and its stream and filters go", async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  // The publisher's node routes but recovers no one (no cluster sessions), so the test's node is the one that drains.
  const n1 = new Broker(
    { sysInterval: 0 },
    { store: new RedisStore({ url: redis.url }), cluster: new ClusterNode({ url: redis.url, nodeId: 'n1' }, pino({ level: 'silent' })) }
  )
  const n1Port = (await n1.listen({ host: '127.0.0.1', port: 0 })).port
  t.after(() => n1.close())
  const [n2] = await startClusterNodes(t, redis.url, 1, 2)
  const look = redisClient(t, redis.url)
  const before = await connectClient(t, n2!.urls[0]!, { clientId: 'moved', clean: false, protocolVersion: 5 })
  await before.client.subscribeAsync('boiler/#', { qos: 1 })
  const bystander = await connectClient(t, n2!.urls[0]!, { clientId: 'bystander' })
  await bystander.client.subscribeAsync('boiler/#', { qos: 1 })
  await filterKnown(look, 'n2', 'boiler/#')
  const publisher = await connectClient(t, `mqtt://127.0.0.1:${n1Port}`, { clientId: 'boiler' })
  const m2 = await memberOfNode(look, 'n2')
  n2!.child.kill('SIGSTOP')
  for (let i = 0; i < 20; i++) await publisher.client.publishAsync('boiler/pressure', String(i), { qos: 1 })
  n2!.child.kill('SIGKILL')

  // The recovering node: here the session "moved" is local again (cluster-sessions restores it; a connection does here).
  const store = new RedisStore({ url: redis.url })
  const n3 = new Broker(
    { sysInterval: 0 },
    { store, cluster: new ClusterNode({ url: redis.url, nodeId: 'n3' }, pino({ level: 'silent' })) }
  )
  const { port } = await n3.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => n3.close())
  const after = await connectClient(t, `mqtt://127.0.0.1:${port}`, { clientId: 'moved', protocolVersion: 5 })
  await after.client.subscribeAsync('boiler/#', { qos: 1 })
  // n2 may already be dead when n3 starts (then n3's first check reports it): look, rather than listen.
  const deadline = Date.now() + 8000
  while (!n3.cluster!.membership.isDead(m2)) {
    assert.ok(Date.now() < deadline, 'n2 found dead')
    await sleep(100)
  }
  assert.equal(await n3.cluster!.membership.claimRecovery(m2), true)
  await n3.cluster!.drain(m2, new Set(['moved']))

  const drained = await after.inbox.take(20, 5000)
  assert.deepEqual(
    drained.map((m) => m.payload.toString()),
    Array.from({ length: 20 }, (_, i) => String(i))
  )
  await after.inbox.none()
  assert.equal(await look.exists(`tp:{cluster}:stream:${m2}`, `tp:{cluster}:filters:${m2}`), 0)
  assert.equal(await look.hexists('tp:{cluster}:nodes', m2), 0)
  assert.equal(await look.get(`tp:{cluster}:moved:${m2}`), n3.cluster!.member, 'what comes for n2 late goes to n3')
})
