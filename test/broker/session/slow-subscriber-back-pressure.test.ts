import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import mqtt from 'mqtt-packet'
import { Broker } from '../../../broker/broker.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, type RawConnected, rawSubscribe } from '../../helpers/flow-clients.js'
import { expectSilence, sleep } from '../../helpers/silence.js'

// A connected QoS 1 subscriber behind its in-flight window holds its publishers once its queue reaches its high mark
// (4 windows, 1 for a session written to the store; at most half the queue limit), and lets them go when the queue is
// down to half of that. With maxInflight 2 and maxQueuedMessages 20 the mark is 8 queued messages: 2 in flight +
// 8 queued = 10 PUBLISHes read.
const LIMITS = { maxInflight: 2, maxQueuedMessages: 20 }
const READ_BEFORE_HELD = 10

async function subscriber(t: TestContext, port: number, persistent = false): Promise<RawConnected> {
  const sub = await connectRaw(t, port, 4, { clean: !persistent })
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'bp/t', qos: 1 }]), [1])
  return sub
}

/** Sends `count` QoS 1 PUBLISHes in one write, as a client with no limit of its own on what it has outstanding. */
function publishBurst(publisher: RawConnected, count: number): void {
  const packets = Array.from({ length: count }, (_, i) =>
    mqtt.generate({ cmd: 'publish', topic: 'bp/t', payload: Buffer.from(`m${i}`), qos: 1, retain: false, dup: false, messageId: i + 1 })
  )
  publisher.raw.sendBytes(Buffer.concat(packets))
}

/** The payloads of the next `count` PUBLISHes to the subscriber, each acknowledged as it arrives. */
async function takeAcknowledging(sub: RawConnected, count: number): Promise<string[]> {
  const payloads: string[] = []
  for (let i = 0; i < count; i++) {
    const publish = await nextOf(sub.raw, 'publish')
    payloads.push(publish.payload.toString())
    sub.send({ cmd: 'puback', messageId: publish.messageId })
  }
  return payloads
}

async function pubacks(publisher: RawConnected, count: number, timeoutMs?: number): Promise<number[]> {
  const ids: number[] = []
  for (let i = 0; i < count; i++) ids.push((await nextOf(publisher.raw, 'puback', timeoutMs)).messageId!)
  return ids
}

const names = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => `m${from + i}`)

test('a publisher outrunning a slow QoS 1 subscriber loses nothing: 300 messages through a queue limited to 20', async (t) => {
  const running = await startBroker(LIMITS)
  t.after(() => running.close())
  const sub = await subscriber(t, running.port)
  const publisher = await connectRaw(t, running.port, 4)

  publishBurst(publisher, 300)
  // Without back-pressure the queue would pass its limit of 20 and drop the oldest.
  assert.deepEqual(await takeAcknowledging(sub, 300), names(0, 300))
  assert.deepEqual(
    await pubacks(publisher, 300),
    Array.from({ length: 300 }, (_, i) => i + 1)
  )
  assert.equal(running.broker.stats.messagesDropped, 0)
})

test('a subscriber that takes nothing holds its publisher once its queue reaches the high mark', async (t) => {
  const running = await startBroker(LIMITS)
  t.after(() => running.close())
  const sub = await subscriber(t, running.port)
  const publisher = await connectRaw(t, running.port, 4)

  publishBurst(publisher, 30)
  assert.equal((await pubacks(publisher, READ_BEFORE_HELD)).length, READ_BEFORE_HELD)
  await expectSilence(publisher.raw)

  assert.deepEqual(await takeAcknowledging(sub, 30), names(0, 30))
  assert.equal((await pubacks(publisher, 30 - READ_BEFORE_HELD)).length, 30 - READ_BEFORE_HELD)
  assert.equal(running.broker.stats.messagesDropped, 0)
})

test('a subscriber that takes nothing for drainTimeout lets its publishers go; its queue then keeps the newest', async (t) => {
  const running = await startBroker({ ...LIMITS, drainTimeout: 1 })
  t.after(() => running.close())
  const sub = await subscriber(t, running.port)
  const publisher = await connectRaw(t, running.port, 4)

  publishBurst(publisher, 100)
  await pubacks(publisher, READ_BEFORE_HELD)
  await expectSilence(publisher.raw)
  // Held for about a second, then read again: every PUBLISH is acknowledged.
  assert.equal((await pubacks(publisher, 100 - READ_BEFORE_HELD, 3000)).length, 100 - READ_BEFORE_HELD)

  // 2 in flight, the newest 20 queued, the 78 between dropped oldest first.
  assert.equal(running.broker.stats.messagesDropped, 78)
  assert.deepEqual(await takeAcknowledging(sub, 22), [...names(0, 2), ...names(80, 100)])
  await expectSilence(sub.raw)
})

test('a publisher held longer than its keepalive is not taken for silent', async (t) => {
  const running = await startBroker({ ...LIMITS, drainTimeout: 10 })
  t.after(() => running.close())
  const sub = await subscriber(t, running.port)
  const publisher = await connectRaw(t, running.port, 4, { keepalive: 1 })

  publishBurst(publisher, 30)
  await pubacks(publisher, READ_BEFORE_HELD)
  await sleep(2500) // past 1.5 × keepalive, with its PUBLISHes unread on the broker's side
  assert.equal(publisher.raw.isClosed, false)

  assert.deepEqual(await takeAcknowledging(sub, 30), names(0, 30))
  assert.equal((await pubacks(publisher, 30 - READ_BEFORE_HELD)).length, 30 - READ_BEFORE_HELD)
})

test('a held mqtt.js publisher with a keepalive of 2 s has its PINGREQs answered and stays connected', async (t) => {
  const running = await startBroker({ ...LIMITS, drainTimeout: 30 })
  t.after(() => running.close())
  const sub = await subscriber(t, running.port)
  const { client } = await connectClient(t, running.url, { keepalive: 2 })
  let pingresps = 0
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'pingresp') pingresps++
  })

  const acknowledged = Array.from({ length: 30 }, (_, i) => client.publishAsync('bp/t', `m${i}`, { qos: 1 }))
  // Held from the 11th PUBLISH on; mqtt.js sends PINGREQ 2 s after its last PUBACK and gives up 1 s later.
  await sleep(7000)
  assert.equal(client.connected, true)
  assert.ok(pingresps >= 2, `${pingresps} PINGRESPs while held`)

  assert.deepEqual(await takeAcknowledging(sub, 30), names(0, 30))
  assert.equal((await Promise.all(acknowledged)).length, 30)
})

test('a client subscribed to what it publishes is not held by its own queue', async (t) => {
  // Held, its connection would not be read, and the PUBACKs that drain its queue with it.
  const running = await startBroker({ ...LIMITS, drainTimeout: 30 })
  t.after(() => running.close())
  const both = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(both, [{ topic: 'bp/t', qos: 1 }]), [1])

  publishBurst(both, 20) // past the high mark, within the queue limit
  const payloads: string[] = []
  let acknowledged = 0
  while (payloads.length < 20 || acknowledged < 20) {
    const packet = await both.raw.next()
    if (packet.cmd === 'puback') {
      acknowledged++
    } else {
      assert.equal(packet.cmd, 'publish')
      payloads.push(packet.payload.toString())
      both.send({ cmd: 'puback', messageId: packet.messageId })
    }
  }
  assert.deepEqual(payloads, names(0, 20))
  assert.equal(running.broker.stats.messagesDropped, 0)
})

test('a persistent subscriber holds its publishers after one window queued', async (t) => {
  const running = await startBroker(LIMITS)
  t.after(() => running.close())
  const sub = await subscriber(t, running.port, true)
  const publisher = await connectRaw(t, running.port, 4)

  publishBurst(publisher, 30)
  assert.equal((await pubacks(publisher, 4)).length, 4) // 2 in flight + 2 queued
  await expectSilence(publisher.raw)

  assert.deepEqual(await takeAcknowledging(sub, 30), names(0, 30))
  assert.equal((await pubacks(publisher, 26)).length, 26)
  assert.equal(running.broker.stats.messagesDropped, 0)
})

test('on the durable store, a persistent subscriber behind a fast publisher loses nothing and drops nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-back-pressure-'))
  const broker = new Broker({ ...LIMITS, sysInterval: 0 }, { store: new SqliteStore({ dataDir }) })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const sub = await subscriber(t, port, true)
  const publisher = await connectRaw(t, port, 4)

  publishBurst(publisher, 300)
  assert.deepEqual(await takeAcknowledging(sub, 300), names(0, 300))
  assert.equal((await pubacks(publisher, 300)).length, 300)
  assert.equal(broker.stats.messagesDropped, 0)
})
