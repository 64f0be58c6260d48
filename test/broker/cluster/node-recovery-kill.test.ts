import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { startChildClusterNode } from '../../helpers/cluster-session-child-node.js'
import { startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { CrashPublisher } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { NumberedMessages } from '../../helpers/numbered-messages.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// A node killed with SIGKILL while a publisher and persistent subscribers run on it (issue 16). The publisher and the
// subscribers share the node, so this needs no cross-node routing: what the node acknowledged is in the subscribers'
// queues and in-flight state in Redis, and another node takes them on.

let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

test('its subscribers resume on another node and get every acknowledged message, QoS 2 exactly once', async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `kill-${process.pid}:`
  cluster.join('node-a')
  const a = await startChildClusterNode(t, server.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b')
  const aUrl = `mqtt://127.0.0.1:${a.port}`
  const online = new CrashSubscriber('online-v5', {
    clientId: uniqueId('on'),
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 300 }
  })
  const offline = new CrashSubscriber('offline-v311', { clientId: uniqueId('off'), protocolVersion: 4 })
  t.after(() => {
    online.drop()
    offline.drop()
  })
  await online.connect(aUrl)
  await online.subscribe('k/#', 2)
  await offline.connect(aUrl)
  await offline.subscribe('k/#', 1)
  await offline.goOffline()

  const publisher = await CrashPublisher.connect(a.port, uniqueId('pub'))
  t.after(() => publisher.destroy())
  const messages = new NumberedMessages('k')
  publisher.start(10, messages.next)
  await sleep(400)
  a.child.kill('SIGKILL')
  await once(a.child, 'exit')
  await publisher.closed
  online.drop()
  cluster.declareDead('node-a')
  const acknowledged = [...publisher.acknowledged]
  assert.ok(acknowledged.length > 0, 'the node acknowledged some messages before it died')

  for (const deadline = Date.now() + 5000; b.broker.sessionCount < 2; await sleep(50)) {
    assert.ok(Date.now() < deadline, 'both sessions were recovered within 5 s')
  }
  for (const subscriber of [online, offline]) {
    assert.equal((await subscriber.connect(b.url)).sessionPresent, true, subscriber.name)
    for (const deadline = Date.now() + 5000; ; await sleep(20)) {
      const got = new Set(subscriber.received().map((m) => Number(m.payload.toString())))
      const missing = acknowledged.filter((n) => !got.has(n))
      if (missing.length === 0) break
      assert.ok(Date.now() < deadline, `${subscriber.name} is missing acknowledged messages ${missing.join(', ')}`)
    }
  }
  assert.deepEqual(messages.qos2Twice(online.received()), [], 'QoS 2 messages delivered more than once')
})
