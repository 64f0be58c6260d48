import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { entriesAdded, filterKnown, redisClient, startClusterNodes } from './cluster-nodes.js'

// Three `thermopost broker --cluster` nodes on one redis-server: messages reach subscribers on other nodes, only
// the nodes that want them, retained messages are seen everywhere, and a shared group gets each message once.

test('publish on one node, subscribers on the two others receive at QoS 0, 1 and 2, and a node without a match gets nothing', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const [n1, n2, n3] = await startClusterNodes(t, redis.url, 3)
  const look = redisClient(t, redis.url)
  const subscribers = []
  for (const [node, name] of [
    [n2!, 'n2'],
    [n3!, 'n3']
  ] as const) {
    for (const qos of [0, 1, 2] as const) {
      const subscriber = await connectClient(t, node.urls[0]!, { clientId: `sub-${name}-q${qos}`, protocolVersion: 5 })
      await subscriber.client.subscribeAsync(`plant/+/q${qos}`, { qos })
      await filterKnown(look, name, `plant/+/q${qos}`)
      subscribers.push({ ...subscriber, qos })
    }
  }
  const publisher = await connectClient(t, n1!.urls[0]!, { clientId: 'pub', protocolVersion: 5 })
  for (const qos of [0, 1, 2] as const) {
    for (let i = 0; i < 5; i++) await publisher.client.publishAsync(`plant/a/q${qos}`, `q${qos}-${i}`, { qos })
  }

  for (const { inbox, qos } of subscribers) {
    const got = await inbox.take(5, 5000)
    assert.deepEqual(
      got.map((m) => [m.topic, m.payload.toString(), m.packet.qos]),
      [0, 1, 2, 3, 4].map((i) => [`plant/a/q${qos}`, `q${qos}-${i}`, qos])
    )
    await inbox.none()
  }

  const onlyN2 = await connectClient(t, n2!.urls[0]!, { clientId: 'only-n2' })
  await onlyN2.client.subscribeAsync('only/n2', { qos: 1 })
  await filterKnown(look, 'n2', 'only/n2')
  const n3Before = await entriesAdded(look, 'n3')
  await publisher.client.publishAsync('only/n2', 'for n2', { qos: 1 })
  assert.equal((await onlyN2.inbox.takeOne(5000)).payload.toString(), 'for n2')
  assert.equal(await entriesAdded(look, 'n3'), n3Before, 'n3 holds no only/n2 filter: nothing was appended to its stream')
})

test('a retained message published on one node is seen by new subscribers on every node, and a clear reaches them all', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const nodes = await startClusterNodes(t, redis.url, 3)
  const publisher = await connectClient(t, nodes[0]!.urls[0]!, { clientId: 'retainer' })
  await publisher.client.publishAsync('site/a/setpoint', '21.0', { qos: 1, retain: true })
  await sleep(300)
  for (const [index, node] of nodes.entries()) {
    const subscriber = await connectClient(t, node.urls[0]!, { clientId: `late-${index}` })
    await subscriber.client.subscribeAsync('site/+/setpoint', { qos: 1 })
    const retained = await subscriber.inbox.takeOne(5000)
    assert.deepEqual([retained.topic, retained.payload.toString(), retained.packet.retain], ['site/a/setpoint', '21.0', true])
    await subscriber.client.endAsync()
  }
  await publisher.client.publishAsync('site/a/setpoint', '', { qos: 1, retain: true })
  await sleep(300)
  for (const [index, node] of nodes.entries()) {
    const subscriber = await connectClient(t, node.urls[0]!, { clientId: `after-clear-${index}` })
    await subscriber.client.subscribeAsync('site/+/setpoint', { qos: 1 })
    await subscriber.inbox.none()
  }
})

test('a shared group with members on every node gets each message exactly once, spread over the nodes', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const nodes = await startClusterNodes(t, redis.url, 3)
  const look = redisClient(t, redis.url)
  const members = []
  for (const [index, node] of nodes.entries()) {
    const member = await connectClient(t, node.urls[0]!, { clientId: `worker-${index}`, protocolVersion: 5 })
    await member.client.subscribeAsync('$share/workers/jobs/#', { qos: 1 })
    await filterKnown(look, `n${index + 1}`, '$share/workers/jobs/#')
    members.push(member)
  }
  // A plain subscriber on n3 too: it gets every message, whichever node serves the group.
  const watcher = await connectClient(t, nodes[2]!.urls[0]!, { clientId: 'watcher' })
  await watcher.client.subscribeAsync('jobs/#', { qos: 1 })
  await filterKnown(look, 'n3', 'jobs/#')

  const publisher = await connectClient(t, nodes[0]!.urls[0]!, { clientId: 'dispatcher' })
  const count = 60
  for (let i = 0; i < count; i++) await publisher.client.publishAsync(`jobs/${i}`, String(i), { qos: 1 })
  assert.equal((await watcher.inbox.take(count, 5000)).length, count)
  await sleep(500)
  const received = members.map((member) => member.inbox.all.map((m) => Number(m.payload.toString())))
  const all = received.flat().sort((a, b) => a - b)
  assert.deepEqual(
    all,
    Array.from({ length: count }, (_, i) => i),
    'each message once across the cluster'
  )
  for (const [index, got] of received.entries()) assert.ok(got.length > 0, `the member on n${index + 1} got some`)
})
