import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import type { IConnectPacket } from 'mqtt-packet'
import { type RunningBroker, startBroker } from '../helpers/broker.js'
import { Inbox } from '../helpers/mqtt-inbox.js'
import { connectPacket, mqttClient, type ProtocolVersion, rawSession, uniqueId } from '../helpers/session-clients.js'
import { sleep } from '../helpers/silence.js'

/** When the will goes out and when it does not; its QoS and retain flag; the 5.0 Will Delay Interval. */

type Will = NonNullable<IConnectPacket['will']>

/** A broker and a client watching `topic` at `qos`. */
async function watch(t: TestContext, topic: string, qos: 0 | 1 | 2 = 2): Promise<{ broker: RunningBroker; inbox: Inbox }> {
  const broker = await startBroker()
  t.after(() => broker.close())
  const watcher = await mqttClient(t, broker.url)
  const inbox = new Inbox(watcher)
  await watcher.subscribeAsync(topic, { qos })
  return { broker, inbox }
}

function will(topic: string, payload: string, extra: Partial<Will> = {}): Will {
  return { topic, payload: Buffer.from(payload), qos: 0, retain: false, ...extra }
}

describe('will messages', { concurrency: true }, () => {
  for (const version of [3, 4, 5] as const satisfies readonly ProtocolVersion[]) {
    const label = { 3: '3.1', 4: '3.1.1', 5: '5.0' }[version]

    test(`${label}: the will is published when the connection drops without DISCONNECT [MQTT-3.1.2-8]`, async (t) => {
      const { broker, inbox } = await watch(t, 'will/drop')
      const { client } = await rawSession(t, broker.port, version, { will: will('will/drop', `gone ${label}`, { qos: 1 }) })
      client.destroy()
      const message = await inbox.takeOne()
      assert.equal(message.topic, 'will/drop')
      assert.equal(message.payload.toString(), `gone ${label}`)
      assert.equal(message.packet.qos, 1)
      assert.equal(message.packet.retain, false)
      await inbox.none(100)
    })

    test(`${label}: a normal DISCONNECT deletes the will [MQTT-3.1.2-10, MQTT-3.14.4-3]`, async (t) => {
      const { broker, inbox } = await watch(t, 'will/normal')
      const { client } = await rawSession(t, broker.port, version, { will: will('will/normal', 'must not appear') })
      client.send({ cmd: 'disconnect' }, version)
      assert.equal(await client.waitClosed(), true)
      await inbox.none(400)
    })
  }

  test('3.1.1: the will is published when the keepalive runs out [3.1.2.5]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/keepalive')
    await rawSession(t, broker.port, 4, { keepalive: 1, will: will('will/keepalive', 'silent too long') })
    const message = await inbox.takeOne(3500)
    assert.equal(message.payload.toString(), 'silent too long')
  })

  test('3.1.1: the will is published when the broker closes for a protocol error (second CONNECT) [3.1.2.5]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/violation')
    const { client } = await rawSession(t, broker.port, 4, { will: will('will/violation', 'broke the rules') })
    client.send(connectPacket(4))
    assert.equal(await client.waitClosed(), true)
    const message = await inbox.takeOne()
    assert.equal(message.payload.toString(), 'broke the rules')
  })

  test('5.0: DISCONNECT with reason 0x04 (Disconnect with Will Message) publishes the will', async (t) => {
    const { broker, inbox } = await watch(t, 'will/0x04')
    const { client } = await rawSession(t, broker.port, 5, { will: will('will/0x04', 'asked for it') })
    client.send({ cmd: 'disconnect', reasonCode: 0x04 }, 5)
    assert.equal(await client.waitClosed(), true)
    const message = await inbox.takeOne()
    assert.equal(message.payload.toString(), 'asked for it')
  })

  test('5.0: the will keeps its properties (content type, user properties) [MQTT-3.1.3-10]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/props')
    const { client } = await rawSession(t, broker.port, 5, {
      will: will('will/props', '{}', { properties: { contentType: 'application/json', userProperties: { device: 'th-1' } } })
    })
    client.destroy()
    const message = await inbox.takeOne()
    assert.equal(message.packet.properties?.contentType, 'application/json')
    assert.deepEqual({ ...message.packet.properties?.userProperties }, { device: 'th-1' })
  })

  test('will QoS 2 reaches a QoS 2 subscriber at QoS 2, a QoS 1 subscriber at QoS 1 and a QoS 0 one at QoS 0', async (t) => {
    const { broker, inbox } = await watch(t, 'will/qos', 2)
    const at1 = await mqttClient(t, broker.url, { protocolVersion: 4 })
    const inbox1 = new Inbox(at1)
    await at1.subscribeAsync('will/qos', { qos: 1 })
    const at0 = await mqttClient(t, broker.url, { protocolVersion: 4 })
    const inbox0 = new Inbox(at0)
    await at0.subscribeAsync('will/qos', { qos: 0 })
    const { client } = await rawSession(t, broker.port, 4, { will: will('will/qos', 'qos2 will', { qos: 2 }) })
    client.destroy()
    assert.equal((await inbox.takeOne()).packet.qos, 2)
    assert.equal((await inbox1.takeOne()).packet.qos, 1)
    assert.equal((await inbox0.takeOne()).packet.qos, 0)
  })

  test('a retained will is retained: a later subscriber gets it with RETAIN=1 [MQTT-3.1.2-17]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/retained', 1)
    const { client } = await rawSession(t, broker.port, 4, { will: will('will/retained', 'last words', { qos: 1, retain: true }) })
    client.destroy()
    const live = await inbox.takeOne()
    assert.equal(live.payload.toString(), 'last words')
    const late = await mqttClient(t, broker.url, { protocolVersion: 4 })
    const lateInbox = new Inbox(late)
    await late.subscribeAsync('will/retained', { qos: 1 })
    const retained = await lateInbox.takeOne()
    assert.equal(retained.payload.toString(), 'last words')
    assert.equal(retained.packet.retain, true)
    assert.equal(retained.packet.qos, 1)
  })

  test('a will without retain is not retained', async (t) => {
    const { broker, inbox } = await watch(t, 'will/unretained', 1)
    const { client } = await rawSession(t, broker.port, 4, { will: will('will/unretained', 'passing', { qos: 1 }) })
    client.destroy()
    await inbox.takeOne()
    const late = await mqttClient(t, broker.url, { protocolVersion: 4 })
    const lateInbox = new Inbox(late)
    await late.subscribeAsync('will/unretained', { qos: 1 })
    await lateInbox.none(300)
  })

  test('5.0: the Will Delay Interval delays the will [MQTT-3.1.3-9]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/delayed')
    const { client } = await rawSession(t, broker.port, 5, {
      clientId: uniqueId('delay'),
      clean: false,
      properties: { sessionExpiryInterval: 10 },
      will: will('will/delayed', 'late', { properties: { willDelayInterval: 1 } })
    })
    client.destroy()
    await inbox.none(600)
    const message = await inbox.takeOne(2500)
    assert.equal(message.payload.toString(), 'late')
  })

  test('5.0: reconnecting within the Will Delay Interval cancels the will [MQTT-3.1.3-9]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/cancelled')
    const clientId = uniqueId('cancel')
    const session = { clientId, clean: false, properties: { sessionExpiryInterval: 10 } }
    const { client } = await rawSession(t, broker.port, 5, {
      ...session,
      will: will('will/cancelled', 'must not appear', { properties: { willDelayInterval: 1 } })
    })
    client.destroy()
    await sleep(200)
    const back = await rawSession(t, broker.port, 5, session)
    assert.equal(back.connack.sessionPresent, true)
    await inbox.none(1600)
  })

  test('5.0: a session ending before the Will Delay Interval sends the will then [MQTT-3.1.3-9]', async (t) => {
    const { broker, inbox } = await watch(t, 'will/session-end')
    const { client } = await rawSession(t, broker.port, 5, {
      clientId: uniqueId('short'),
      clean: false,
      properties: { sessionExpiryInterval: 1 },
      will: will('will/session-end', 'session over', { properties: { willDelayInterval: 30 } })
    })
    client.destroy()
    const message = await inbox.takeOne(3000)
    assert.equal(message.payload.toString(), 'session over')
  })

  test('5.0: with Session Expiry 0 a delayed will goes out at the disconnect, the session ending then', async (t) => {
    const { broker, inbox } = await watch(t, 'will/no-session')
    const { client } = await rawSession(t, broker.port, 5, {
      will: will('will/no-session', 'right away', { properties: { willDelayInterval: 30 } })
    })
    client.destroy()
    const message = await inbox.takeOne(1500)
    assert.equal(message.payload.toString(), 'right away')
  })
})
