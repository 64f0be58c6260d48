import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { startChildClusterNode } from '../../helpers/cluster-session-child-node.js'
import { startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { connectClient, connectRaw, goOffline, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// A node killed with SIGKILL: another node sends its clients' wills and takes its sessions on (issue 16).

let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

const persistent = { sessionExpiryInterval: 300 }

test("a killed node's wills go out within 5 s (after their delay), and its sessions resume elsewhere with queue and in-flight", async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `recovery-${process.pid}:`
  cluster.join('node-a')
  const a = await startChildClusterNode(t, server.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b')
  const aUrl = `mqtt://127.0.0.1:${a.port}`
  const watcher = await connectClient(t, b.url, { clientId: uniqueId('watch'), protocolVersion: 5 })
  await watcher.client.subscribeAsync('wills/#', { qos: 1 })

  const will = (name: string, delay: number) => ({
    topic: `wills/${name}`,
    payload: Buffer.from(`${name} is gone`),
    qos: 1 as const,
    retain: false,
    properties: { willDelayInterval: delay }
  })
  const ids = {
    now: uniqueId('now'),
    later: uniqueId('later'),
    back: uniqueId('back'),
    queued: uniqueId('queued'),
    inflight: uniqueId('inflight')
  }
  await connectClient(t, aUrl, { clientId: ids.now, protocolVersion: 5, will: will('now', 0) })
  await connectClient(t, aUrl, { clientId: ids.later, protocolVersion: 5, properties: persistent, clean: false, will: will('later', 2) })
  await connectClient(t, aUrl, { clientId: ids.back, protocolVersion: 5, properties: persistent, clean: false, will: will('back', 0) })
  const queued = await connectClient(t, aUrl, { clientId: ids.queued, protocolVersion: 5, properties: persistent, clean: false })
  await queued.client.subscribeAsync('q/#', { qos: 1 })
  await goOffline(queued.client)
  const inflight = await connectRaw(t, a.port, 5, { clientId: ids.inflight, clean: false, properties: persistent })
  assert.deepEqual(await rawSubscribe(inflight, [{ topic: 'q/#', qos: 1 }]), [1])
  const publisher = await connectClient(t, aUrl, { clientId: uniqueId('pub'), protocolVersion: 5 })
  for (const text of ['q1', 'q2']) await publisher.client.publishAsync('q/1', text, { qos: 1 })
  const unacknowledged = await nextOf(inflight.raw, 'publish')

  a.child.kill('SIGKILL')
  await once(a.child, 'exit')
  const killedAt = Date.now()
  // Back before the node is found dead: its session moves with it, and its will is not sent.
  const back = await connectClient(t, b.url, { clientId: ids.back, protocolVersion: 5, properties: persistent, clean: false })
  assert.equal(back.connack.sessionPresent, true)
  cluster.declareDead('node-a')

  const [first, second] = await watcher.inbox.take(2, 5000)
  const arrived = Date.now() - killedAt
  assert.equal(first.topic, 'wills/now')
  assert.equal(second.topic, 'wills/later')
  assert.ok(arrived >= 1900 && arrived < 5000, `the delayed will came after its 2 s delay, within 5 s: ${arrived} ms`)
  await watcher.inbox.none()

  const resumedQueue = await connectClient(t, b.url, { clientId: ids.queued, protocolVersion: 5, properties: persistent, clean: false })
  assert.equal(resumedQueue.connack.sessionPresent, true)
  assert.deepEqual(
    (await resumedQueue.inbox.take(2)).map((m) => m.payload.toString()),
    ['q1', 'q2']
  )
  const resumedInflight = await connectRaw(t, b.port, 5, { clientId: ids.inflight, clean: false, properties: persistent })
  const resent = await nextOf(resumedInflight.raw, 'publish')
  assert.equal(resent.dup, true)
  assert.equal(resent.messageId, unacknowledged.messageId)
  assert.equal(resent.payload.toString(), 'q1')
  assert.deepEqual(b.seams.drains, [{ deadNodeId: 'node-a', clientIds: [ids.inflight, ids.later, ids.queued].sort() }])
})

test("a dead node's delayed will is not sent when its client comes back within the delay, on yet another node", async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `recovery-${process.pid}-back:`
  cluster.join('node-a')
  const a = await startChildClusterNode(t, server.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b')
  const c = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-c')
  const watcher = await connectClient(t, b.url, { clientId: uniqueId('watch'), protocolVersion: 5 })
  await watcher.client.subscribeAsync('wills/#', { qos: 1 })
  const clientId = uniqueId('back')
  const session = { clientId, protocolVersion: 5 as const, clean: false, properties: persistent }
  const will = { topic: 'wills/back', payload: Buffer.from('gone'), qos: 1 as const, retain: false, properties: { willDelayInterval: 3 } }
  const first = await connectClient(t, `mqtt://127.0.0.1:${a.port}`, { ...session, will })
  // CONNACK does not wait for the session to be written; a PUBACK waits for everything written before it.
  await first.client.publishAsync('x', 'durable now', { qos: 1 })

  a.child.kill('SIGKILL')
  await once(a.child, 'exit')
  cluster.declareDead('node-a')
  // The watcher's session, and the recovered one.
  for (const deadline = Date.now() + 5000; b.broker.sessionCount + c.broker.sessionCount < 2; await sleep(50)) {
    assert.ok(Date.now() < deadline, 'the session was recovered within 5 s')
  }
  const back = await connectClient(t, c.url, session)
  assert.equal(back.connack.sessionPresent, true)
  await watcher.inbox.none(3500)
})
