import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { connectClient, connectRaw, goOffline } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { expectDisconnect } from '../../helpers/session-clients.js'
import { startClusterNodes } from './cluster-nodes.js'

// A node stopped cleanly (SIGTERM) hands its sessions over at once: its clients' wills go out (the server closed
// their connections [MQTT-3.1.2-8]), the others are told it left, and a client coming back on another node has its
// session, queue included, within a second instead of after the dead-node timeout.

const persistent = { clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }

test('SIGTERM of a node: wills sent, and its sessions resume on another node within 1 s of reconnecting', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const [n1, n2] = await startClusterNodes(t, redis.url, 2)
  const n1Port = Number(new URL(n1!.urls[0]!).port)

  const watcher = await connectClient(t, n2!.urls[0]!, { clientId: 'watcher', protocolVersion: 5 })
  await watcher.client.subscribeAsync('wills/#', { qos: 1 })
  const willing = await connectRaw(t, n1Port, 5, {
    clientId: 'willing',
    will: { topic: 'wills/willing', payload: Buffer.from('gone'), qos: 1, retain: false }
  })
  const parked = await connectClient(t, n1!.urls[0]!, { ...persistent, clientId: 'parked' })
  await parked.client.subscribeAsync('queue/#', { qos: 1 })
  await goOffline(parked.client)
  const publisher = await connectClient(t, n1!.urls[0]!, { clientId: 'feeder', protocolVersion: 5 })
  for (const text of ['q1', 'q2', 'q3']) await publisher.client.publishAsync('queue/a', text, { qos: 1 })

  n1!.child.kill('SIGTERM')
  await expectDisconnect(willing.raw, Reason.ServerShuttingDown)
  const [code] = await once(n1!.child, 'exit')
  assert.equal(code, 0, n1!.output())
  const will = await watcher.inbox.takeOne(5000)
  assert.deepEqual([will.topic, will.payload.toString()], ['wills/willing', 'gone'])

  const reconnecting = Date.now()
  const back = await connectClient(t, n2!.urls[0]!, { ...persistent, clientId: 'parked' })
  const queued = await back.inbox.take(3, 5000)
  const took = Date.now() - reconnecting
  assert.equal(back.connack.sessionPresent, true)
  assert.deepEqual(
    queued.map((m) => m.payload.toString()),
    ['q1', 'q2', 'q3']
  )
  assert.ok(took < 1000, `session and queue back ${took} ms after reconnecting`)
})

test('clients back on another node while their killed node is being recovered there get their sessions and queues', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const [n1, n2] = await startClusterNodes(t, redis.url, 2)
  const ids = [1, 2, 3, 4, 5].map((i) => `parked-${i}`)
  for (const clientId of ids) {
    const parked = await connectClient(t, n1!.urls[0]!, { ...persistent, clientId })
    await parked.client.subscribeAsync('queue/#', { qos: 1 })
    await goOffline(parked.client)
  }
  const publisher = await connectClient(t, n1!.urls[0]!, { clientId: 'feeder', protocolVersion: 5 })
  for (const text of ['q1', 'q2']) await publisher.client.publishAsync('queue/a', text, { qos: 1 })
  n1!.child.kill('SIGKILL')
  await once(n1!.child, 'exit')

  // Back before n2 finds n1 dead: each open waits, and meets n2's recovery of n1 half-way.
  const back = await Promise.all(ids.map((clientId) => connectClient(t, n2!.urls[0]!, { ...persistent, clientId, connectTimeout: 15_000 })))
  for (const [index, { connack, inbox }] of back.entries()) {
    assert.equal(connack.sessionPresent, true, ids[index])
    assert.deepEqual(
      (await inbox.take(2, 5000)).map((m) => m.payload.toString()),
      ['q1', 'q2']
    )
  }
})
