import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { connectClient, connectRaw, goOffline, nextOf } from '../../helpers/flow-clients.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { asConnack, rawConnect, uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

// Redis unreachable (issue 16): a node keeps its clients, acknowledges nothing it cannot make durable, says so, and
// catches up when Redis is back without losing what it acknowledged.

/** Stopped after the test's nodes have closed (a test's own `after` hooks run first). */
let redis: RunningRedis
test.before(async () => {
  redis = await startRedisServer()
})
test.after(() => redis.stop())

test('while Redis is down, 5.0 PUBLISHes are refused, 3.1.1 ones wait; once it is back the node catches up and loses nothing acknowledged', async (t) => {
  const cluster = new InProcessCluster()
  const keyPrefix = `outage-${process.pid}:`
  const a = await startClusterSessionNode(t, cluster, redis.url, keyPrefix, 'node-a', { sysInterval: 1 })
  const subscriberId = uniqueId('sub')
  const persistent = { clientId: subscriberId, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } }
  const subscriber = await connectClient(t, a.url, persistent)
  await subscriber.client.subscribeAsync('r/#', { qos: 1 })
  await goOffline(subscriber.client)
  const watcher = await connectClient(t, a.url, { clientId: uniqueId('sys'), protocolVersion: 5 })
  const statuses: string[] = []
  watcher.client.on('message', (topic, payload) => {
    if (topic === '$SYS/broker/store/status') statuses.push(payload.toString())
  })
  await watcher.client.subscribeAsync('$SYS/broker/store/status')
  const v5 = await connectRaw(t, a.port, 5, { clientId: uniqueId('p5') })
  const v4 = await connectRaw(t, a.port, 4, { clientId: uniqueId('p4') })

  await redis.crash()
  v5.send({ cmd: 'publish', topic: 'r/1', payload: Buffer.from('refused'), qos: 1, messageId: 1, retain: false, dup: false })
  const refused = await nextOf(v5.raw, 'puback', 3000)
  assert.equal(refused.reasonCode, Reason.QuotaExceeded)
  v4.send({ cmd: 'publish', topic: 'r/1', payload: Buffer.from('held'), qos: 1, messageId: 1, retain: false, dup: false })
  v4.send({ cmd: 'publish', topic: 'r/2', payload: Buffer.from('held-2'), qos: 2, messageId: 2, retain: false, dup: false })
  v4.send({ cmd: 'publish', topic: 'r/3', payload: Buffer.from('held-3'), qos: 1, messageId: 3, retain: false, dup: false })
  await sleep(1500)
  assert.deepEqual(
    v4.raw.pending().map((packet) => packet.cmd),
    [],
    'no PUBACK while Redis is down'
  )
  assert.equal(await v4.raw.waitClosed(10), false, 'the 3.1.1 client stays connected')
  assert.match(statuses.at(-1) ?? '', /^unreachable since \d{4}-/)
  // A new connection's session cannot be claimed: it is told to come back later.
  const { reply } = await rawConnect(t, a.port, 5, { clientId: uniqueId('late') })
  assert.equal(asConnack(reply).reasonCode, Reason.ServerUnavailable)
  assert.ok(
    a.warnings().some((line) => line.includes('cannot be reached: QoS 1/2 messages are not acknowledged')),
    a.warnings().join('\n')
  )

  await redis.restart()
  // Each acknowledgement in the order its PUBLISH came [MQTT-4.6.0-2].
  assert.equal((await nextOf(v4.raw, 'puback', 5000)).messageId, 1)
  assert.equal((await nextOf(v4.raw, 'pubrec')).messageId, 2)
  assert.equal((await nextOf(v4.raw, 'puback')).messageId, 3)
  v4.send({ cmd: 'pubrel', messageId: 2 })
  assert.equal((await nextOf(v4.raw, 'pubcomp')).messageId, 2)
  await sleep(1200)
  assert.equal(statuses.at(-1), 'ok')
  assert.ok(a.warnings().some((line) => line.includes('is back: caught up')))

  // What was acknowledged is in Redis: a second node takes the session over from there.
  const b = await startClusterSessionNode(t, cluster, redis.url, keyPrefix, 'node-b')
  const resumed = await connectClient(t, b.url, persistent)
  assert.equal(resumed.connack.sessionPresent, true)
  // Four: the refused message too, routed to the session before Redis refused it (a duplicate if the publisher resends).
  const received = (await resumed.inbox.take(4)).map((m) => m.payload.toString())
  for (const text of ['held', 'held-2', 'held-3'])
    assert.ok(received.includes(text), `${text} was acknowledged, so it came: ${received.join(', ')}`)
})
