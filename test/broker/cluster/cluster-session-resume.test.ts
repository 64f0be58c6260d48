import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { SessionLeases } from '../../../broker/cluster/session-lease.js'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { RedisKeys } from '../../../broker/store/redis-keys.js'
import { startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { connectClient, connectRaw, goOffline, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { expectDisconnect, uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// Sessions of a cluster (issue 16): a session lives on the node holding its lease, and moves with its client.

let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

let prefixes = 0

/** Two nodes sharing a fresh key prefix on the file's redis-server. */
async function twoNodes(t: TestContext) {
  const cluster = new InProcessCluster()
  const keyPrefix = `sessions-${process.pid}-${++prefixes}:`
  const a = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b')
  return { cluster, a, b, keyPrefix }
}

const persistent = { clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }

test('a session made on one node resumes on another with its subscriptions and queue', async (t) => {
  const { a, b } = await twoNodes(t)
  const clientId = uniqueId('resume')
  const subscriber = await connectClient(t, a.url, { ...persistent, clientId })
  await subscriber.client.subscribeAsync('room/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, a.url, { clientId: uniqueId('pub'), protocolVersion: 5 })
  for (const text of ['m1', 'm2', 'm3']) await publisher.client.publishAsync('room/1', text, { qos: 1 })

  const resumed = await connectClient(t, b.url, { ...persistent, clientId })
  assert.equal(resumed.connack.sessionPresent, true)
  const queued = await resumed.inbox.take(3)
  assert.deepEqual(
    queued.map((m) => m.payload.toString()),
    ['m1', 'm2', 'm3']
  )
  assert.deepEqual(await b.leases.holder(clientId), { node: 'node-b', epoch: 2 })
  assert.equal(a.broker.sessionCount, 1, 'node-a keeps only the publisher')
  // The subscription came along: a message published on the new node reaches it there.
  const local = await connectClient(t, b.url, { clientId: uniqueId('pub'), protocolVersion: 5 })
  await local.client.publishAsync('room/2', 'm4', { qos: 1 })
  assert.equal((await resumed.inbox.takeOne()).payload.toString(), 'm4')
})

test('a message in flight when the client left is sent again, DUP set, on the node it comes back to', async (t) => {
  const { a, b } = await twoNodes(t)
  const clientId = uniqueId('inflight')
  const first = await connectRaw(t, a.port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } })
  assert.deepEqual(await rawSubscribe(first, [{ topic: 'f/#', qos: 1 }]), [1])
  const publisher = await connectClient(t, a.url, { clientId: uniqueId('pub'), protocolVersion: 5 })
  await publisher.client.publishAsync('f/1', 'unacknowledged', { qos: 1 })
  const sent = await nextOf(first.raw, 'publish')
  first.raw.destroy() // no PUBACK

  const again = await connectRaw(t, b.port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } })
  assert.equal(again.connack.sessionPresent, true)
  const resent = await nextOf(again.raw, 'publish')
  assert.equal(resent.dup, true)
  assert.equal(resent.messageId, sent.messageId)
  assert.equal(resent.payload.toString(), 'unacknowledged')
})

test('the same client id connecting on another node takes the session over: the old connection gets Session taken over', async (t) => {
  const { a, b } = await twoNodes(t)
  const clientId = uniqueId('takeover')
  const old = await connectRaw(t, a.port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } })
  assert.deepEqual(await rawSubscribe(old, [{ topic: 'x', qos: 1 }]), [1])
  const taker = await connectClient(t, b.url, { ...persistent, clientId })
  assert.equal(taker.connack.sessionPresent, true)
  await expectDisconnect(old.raw, Reason.SessionTakenOver)
  assert.equal(a.broker.sessionCount, 0)
  const publisher = await connectClient(t, b.url, { clientId: uniqueId('pub'), protocolVersion: 5 })
  await publisher.client.publishAsync('x', 'after', { qos: 1 })
  assert.equal((await taker.inbox.takeOne()).payload.toString(), 'after')
})

test('a node whose lease was taken behind its back stops writing for the session and ends its connection', async (t) => {
  const { a, keyPrefix } = await twoNodes(t)
  const clientId = uniqueId('fenced')
  const victim = await connectRaw(t, a.port, 5, { clientId, clean: false, properties: { sessionExpiryInterval: 300 } })
  const redis = new Redis(server.url)
  t.after(() => redis.quit())
  const intruder = new SessionLeases(redis, new RedisKeys(keyPrefix), 'intruder')
  assert.equal(await intruder.claim(clientId, 'node-a'), true)
  // A QoS 2 PUBLISH writes its packet id to the session: refused, so no PUBREC, and the connection ends.
  victim.send({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 2, messageId: 5, retain: false, dup: false })
  assert.equal(await victim.raw.waitClosed(3000), true)
  assert.ok(
    victim.raw.pending().every((packet) => packet.cmd !== 'pubrec'),
    'nothing refused is acknowledged'
  )
  assert.equal(await redis.sismember(new RedisKeys(keyPrefix).incoming(clientId), '5'), 0)
  assert.ok(
    a.warnings().some((line) => line.includes('another node holds its lease')),
    a.warnings().join('\n')
  )
  assert.equal(a.broker.sessionCount, 0)
})

test('a node restarted under its id is a new member: its previous run holds nothing until recovered, then the session resumes with its queue', async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `sessions-${process.pid}-${++prefixes}:`
  // Members as real nodes name them (cluster-keys.ts): one run of node-a, then the next.
  const first = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-a@1')
  const clientId = uniqueId('restart')
  const subscriber = await connectClient(t, first.url, { ...persistent, clientId })
  await subscriber.client.subscribeAsync('s/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.url, { clientId: uniqueId('pub'), protocolVersion: 5 })
  await publisher.client.publishAsync('s/1', 'waiting', { qos: 1 })
  await publisher.client.endAsync()
  await first.broker.close()

  const again = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-a@2')
  assert.equal(again.broker.sessionCount, 0, 'the new run restores nothing from the store on its own')
  cluster.declareDead('node-a@1')
  const deadline = Date.now() + 5000
  while (again.broker.sessionCount === 0) {
    assert.ok(Date.now() < deadline, 'the previous run was recovered into the new one')
    await sleep(20)
  }
  assert.deepEqual(await again.leases.holder(clientId), { node: 'node-a@2', epoch: 2 })
  const resumed = await connectClient(t, again.url, { ...persistent, clientId })
  assert.equal(resumed.connack.sessionPresent, true)
  assert.equal((await resumed.inbox.takeOne()).payload.toString(), 'waiting')
})

test('a cluster node lists the sessions it holds for the admin API, and deleting one there releases its lease', async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `sessions-${process.pid}-${++prefixes}:`
  const node = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-a')
  const [kept, deleted] = [uniqueId('kept'), uniqueId('deleted')]
  for (const clientId of [kept, deleted]) {
    const client = await connectClient(t, node.url, { ...persistent, clientId })
    await client.client.subscribeAsync('s/#', { qos: 1 })
    await goOffline(client.client)
  }
  const directory = node.broker.sessionDirectory
  assert.ok(directory !== undefined, 'a cluster node can list its sessions')
  assert.deepEqual([...directory.list()].map((session) => session.clientId).sort(), [kept, deleted].sort())
  assert.equal(directory.discard(deleted), true)
  assert.deepEqual(
    [...directory.list()].map((session) => session.clientId),
    [kept]
  )
  const deadline = Date.now() + 5000
  while ((await node.leases.holder(deleted))?.node !== '') {
    assert.ok(Date.now() < deadline, 'the deleted session gave its lease up')
    await sleep(20)
  }
  const again = await connectClient(t, node.url, { ...persistent, clientId: deleted })
  assert.equal(again.connack.sessionPresent, false, 'the session was deleted, not kept')
})
