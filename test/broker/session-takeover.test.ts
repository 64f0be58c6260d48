import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { IConnectPacket, ISubackPacket } from 'mqtt-packet'
import { startBroker } from '../helpers/broker.js'
import { Inbox } from '../helpers/mqtt-inbox.js'
import type { RawClient } from '../helpers/raw-client.js'
import { asPublish, expectDisconnect, mqttClient, type ProtocolVersion, rawSession, uniqueId } from '../helpers/session-clients.js'
import { expectSilence, sleep } from '../helpers/silence.js'

/** Session takeover, Clean Session / Clean Start, session expiry, and what a resumed session gets back. */

/** CONNECT fields for a session that outlives its connection, at either level. */
function persistent(version: ProtocolVersion, clientId: string): Partial<IConnectPacket> {
  return version === 5 ? { clientId, clean: false, properties: { sessionExpiryInterval: 60 } } : { clientId, clean: false }
}

async function subscribe(client: RawClient, version: ProtocolVersion, topic: string, qos: 0 | 1 | 2): Promise<void> {
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic, qos }] }, version)
  const suback = await client.next()
  assert.equal(suback.cmd, 'suback')
  assert.deepEqual((suback as ISubackPacket).granted, [qos])
}

async function disconnect(client: RawClient, version: ProtocolVersion): Promise<void> {
  client.send({ cmd: 'disconnect' }, version)
  assert.equal(await client.waitClosed(), true, 'broker closes after DISCONNECT')
}

describe('session takeover and persistence', { concurrency: true }, () => {
  test('3.1.1: a second connection with the same client id closes the first [MQTT-3.1.4-2]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 4, { clientId: 'twin' })
    const second = await rawSession(t, broker.port, 4, { clientId: 'twin' })
    assert.equal(await first.client.waitClosed(), true, 'first connection closed')
    assert.deepEqual(
      first.client.pending().map((p) => p.cmd),
      [],
      '3.1.1 has no server DISCONNECT'
    )
    await expectSilence(second.client, 100)
    assert.equal(second.client.isClosed, false, 'second connection stays')
  })

  test('5.0: the first connection gets DISCONNECT 0x8E Session taken over, then the close [MQTT-3.1.4-3]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 5, { clientId: 'twin5' })
    const second = await rawSession(t, broker.port, 5, { clientId: 'twin5' })
    await expectDisconnect(first.client, 0x8e)
    await expectSilence(second.client, 100)
    assert.equal(second.client.isClosed, false, 'second connection stays')
  })

  test("5.0: on takeover the first connection's will (delay 0) is published [MQTT-3.1.4-3, 3.1.2.5]", async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const watcher = await mqttClient(t, broker.url)
    const inbox = new Inbox(watcher)
    await watcher.subscribeAsync('takeover/will', { qos: 1 })
    const first = await rawSession(t, broker.port, 5, {
      clientId: 'twin-will',
      will: { topic: 'takeover/will', payload: Buffer.from('first gone'), qos: 1, retain: false }
    })
    await rawSession(t, broker.port, 5, { clientId: 'twin-will' })
    assert.equal(await first.client.waitClosed(), true, 'first connection closed')
    const will = await inbox.takeOne()
    assert.equal(will.topic, 'takeover/will')
    assert.equal(will.payload.toString(), 'first gone')
    assert.equal(will.packet.qos, 1)
    await inbox.none(200)
  })

  test('3.1.1: takeover of a persistent session keeps it: session present 1, subscriptions carry on', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 4, { clientId: 'twin-p', clean: false })
    await subscribe(first.client, 4, 'takeover/p', 1)
    const second = await rawSession(t, broker.port, 4, { clientId: 'twin-p', clean: false })
    assert.equal(second.connack.sessionPresent, true)
    assert.equal(await first.client.waitClosed(), true)
    const publisher = await mqttClient(t, broker.url)
    await publisher.publishAsync('takeover/p', 'to the new connection', { qos: 1 })
    const message = asPublish(await second.client.next())
    assert.equal(message.topic, 'takeover/p')
    assert.equal(message.payload.toString(), 'to the new connection')
    assert.equal(message.qos, 1)
  })

  test('3.1.1: session present follows Clean Session [MQTT-3.2.2-1, MQTT-3.2.2-2]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const fresh = await rawSession(t, broker.port, 4, { clientId: 'sp', clean: false })
    assert.equal(fresh.connack.sessionPresent, false, 'no session yet')
    await disconnect(fresh.client, 4)
    const resumed = await rawSession(t, broker.port, 4, { clientId: 'sp', clean: false })
    assert.equal(resumed.connack.sessionPresent, true, 'persistent session resumed')
    await disconnect(resumed.client, 4)
    const cleaned = await rawSession(t, broker.port, 4, { clientId: 'sp', clean: true })
    assert.equal(cleaned.connack.sessionPresent, false, 'clean session discards it')
    await disconnect(cleaned.client, 4)
    const after = await rawSession(t, broker.port, 4, { clientId: 'sp', clean: false })
    assert.equal(after.connack.sessionPresent, false, 'a clean session does not outlive its connection [MQTT-3.1.2-6]')
  })

  test('5.0: session present follows Clean Start and Session Expiry Interval [MQTT-3.2.2-2, MQTT-3.2.2-3]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const fresh = await rawSession(t, broker.port, 5, persistent(5, 'sp5'))
    assert.equal(fresh.connack.sessionPresent, false, 'no session yet')
    await disconnect(fresh.client, 5)
    const resumed = await rawSession(t, broker.port, 5, persistent(5, 'sp5'))
    assert.equal(resumed.connack.sessionPresent, true, 'session resumed')
    await disconnect(resumed.client, 5)
    const cleaned = await rawSession(t, broker.port, 5, { clientId: 'sp5', clean: true, properties: { sessionExpiryInterval: 60 } })
    assert.equal(cleaned.connack.sessionPresent, false, 'Clean Start 1 discards the session')
  })

  test('5.0: with Session Expiry Interval 0 the session ends with the connection', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 5, { clientId: 'sp5-zero', clean: false })
    await subscribe(first.client, 5, 'zero/t', 1)
    await disconnect(first.client, 5)
    const again = await rawSession(t, broker.port, 5, { clientId: 'sp5-zero', clean: false })
    assert.equal(again.connack.sessionPresent, false)
  })

  test('5.0: a session with expiry 1 s is gone 2 s after the disconnect', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 5, { clientId: 'exp1', clean: false, properties: { sessionExpiryInterval: 1 } })
    await subscribe(first.client, 5, 'exp/t', 1)
    await disconnect(first.client, 5)
    await sleep(2000)
    const publisher = await mqttClient(t, broker.url)
    await publisher.publishAsync('exp/t', 'after expiry', { qos: 1 })
    const again = await rawSession(t, broker.port, 5, { clientId: 'exp1', clean: false, properties: { sessionExpiryInterval: 1 } })
    assert.equal(again.connack.sessionPresent, false)
    await expectSilence(again.client, 200)
  })

  test('5.0: a session with expiry 1 s is still there when the client returns at once', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 5, { clientId: 'exp1b', clean: false, properties: { sessionExpiryInterval: 1 } })
    await disconnect(first.client, 5)
    const again = await rawSession(t, broker.port, 5, { clientId: 'exp1b', clean: false, properties: { sessionExpiryInterval: 1 } })
    assert.equal(again.connack.sessionPresent, true)
  })

  test('5.0: DISCONNECT may change the Session Expiry Interval: 0 there ends the session [3.14.2.2.2]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 5, persistent(5, 'exp-disc'))
    first.client.send({ cmd: 'disconnect', reasonCode: 0, properties: { sessionExpiryInterval: 0 } }, 5)
    assert.equal(await first.client.waitClosed(), true)
    const again = await rawSession(t, broker.port, 5, persistent(5, 'exp-disc'))
    assert.equal(again.connack.sessionPresent, false)
  })

  test('3.1.1: a persistent session ends after legacySessionExpiry', async (t) => {
    const broker = await startBroker({ legacySessionExpiry: 1 })
    t.after(() => broker.close())
    const first = await rawSession(t, broker.port, 4, { clientId: 'legacy-exp', clean: false })
    await disconnect(first.client, 4)
    await sleep(2000)
    const again = await rawSession(t, broker.port, 4, { clientId: 'legacy-exp', clean: false })
    assert.equal(again.connack.sessionPresent, false)
  })

  for (const version of [4, 5] as const) {
    const label = version === 5 ? '5.0' : '3.1.1'

    test(`${label}: subscriptions survive a resume, and QoS 1/2 messages published while offline are delivered`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const clientId = uniqueId('offline')
      const first = await rawSession(t, broker.port, version, persistent(version, clientId))
      await subscribe(first.client, version, 'offline/q1', 1)
      await subscribe(first.client, version, 'offline/q2', 2)
      await disconnect(first.client, version)

      const publisher = await mqttClient(t, broker.url)
      await publisher.publishAsync('offline/q1', 'one', { qos: 1 })
      await publisher.publishAsync('offline/q2', 'two', { qos: 2 })

      const resumed = await rawSession(t, broker.port, version, persistent(version, clientId))
      assert.equal(resumed.connack.sessionPresent, true)
      const one = asPublish(await resumed.client.next())
      assert.deepEqual([one.topic, one.payload.toString(), one.qos], ['offline/q1', 'one', 1])
      const two = asPublish(await resumed.client.next())
      assert.deepEqual([two.topic, two.payload.toString(), two.qos], ['offline/q2', 'two', 2])
      resumed.client.send({ cmd: 'puback', messageId: one.messageId! }, version)
      resumed.client.send({ cmd: 'pubrec', messageId: two.messageId! }, version)
      const pubrel = await resumed.client.next()
      assert.deepEqual([pubrel.cmd, pubrel.messageId], ['pubrel', two.messageId])
      resumed.client.send({ cmd: 'pubcomp', messageId: two.messageId! }, version)

      // The subscription itself survived: a message published now also arrives, without subscribing again.
      await publisher.publishAsync('offline/q1', 'live', { qos: 1 })
      const live = asPublish(await resumed.client.next())
      assert.deepEqual([live.topic, live.payload.toString(), live.dup], ['offline/q1', 'live', false])
    })

    test(`${label}: an unacknowledged QoS 1 PUBLISH is redelivered on resume with DUP=1 and the same id [MQTT-4.4.0-1, MQTT-3.3.1-1]`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const clientId = uniqueId('dup1')
      const first = await rawSession(t, broker.port, version, persistent(version, clientId))
      await subscribe(first.client, version, 'redeliver/q1', 1)
      const publisher = await mqttClient(t, broker.url)
      await publisher.publishAsync('redeliver/q1', 'unacked', { qos: 1 })
      const original = asPublish(await first.client.next())
      assert.deepEqual([original.payload.toString(), original.qos, original.dup], ['unacked', 1, false])
      first.client.destroy() // no PUBACK

      const resumed = await rawSession(t, broker.port, version, persistent(version, clientId))
      assert.equal(resumed.connack.sessionPresent, true)
      const again = asPublish(await resumed.client.next())
      assert.equal(again.topic, 'redeliver/q1')
      assert.equal(again.payload.toString(), 'unacked')
      assert.equal(again.qos, 1)
      assert.equal(again.dup, true)
      assert.equal(again.messageId, original.messageId)
      resumed.client.send({ cmd: 'puback', messageId: again.messageId! }, version)
      await disconnect(resumed.client, version)

      // Acknowledged now: the next resume brings nothing back.
      const third = await rawSession(t, broker.port, version, persistent(version, clientId))
      assert.equal(third.connack.sessionPresent, true)
      await expectSilence(third.client, 300)
    })

    test(`${label}: a QoS 2 flow stopped after PUBREC resumes with PUBREL, not the PUBLISH [MQTT-4.4.0-1]`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const clientId = uniqueId('dup2')
      const first = await rawSession(t, broker.port, version, persistent(version, clientId))
      await subscribe(first.client, version, 'redeliver/q2', 2)
      const publisher = await mqttClient(t, broker.url)
      await publisher.publishAsync('redeliver/q2', 'exactly once', { qos: 2 })
      const original = asPublish(await first.client.next())
      assert.equal(original.qos, 2)
      first.client.send({ cmd: 'pubrec', messageId: original.messageId! }, version)
      const pubrel = await first.client.next()
      assert.deepEqual([pubrel.cmd, pubrel.messageId], ['pubrel', original.messageId])
      first.client.destroy() // no PUBCOMP

      const resumed = await rawSession(t, broker.port, version, persistent(version, clientId))
      assert.equal(resumed.connack.sessionPresent, true)
      const again = await resumed.client.next()
      assert.deepEqual([again.cmd, again.messageId], ['pubrel', original.messageId])
      resumed.client.send({ cmd: 'pubcomp', messageId: original.messageId! }, version)
      await expectSilence(resumed.client, 300)
    })

    test(`${label}: QoS 0 messages are not queued for an offline session by default (queueQos0 false)`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const clientId = uniqueId('q0')
      const first = await rawSession(t, broker.port, version, persistent(version, clientId))
      await subscribe(first.client, version, 'offline/any', 1)
      await disconnect(first.client, version)
      const publisher = await mqttClient(t, broker.url)
      await publisher.publishAsync('offline/any', 'qos0', { qos: 0 })
      await publisher.publishAsync('offline/any', 'qos1', { qos: 1 })
      const resumed = await rawSession(t, broker.port, version, persistent(version, clientId))
      const only = asPublish(await resumed.client.next())
      assert.deepEqual([only.payload.toString(), only.qos], ['qos1', 1])
      resumed.client.send({ cmd: 'puback', messageId: only.messageId! }, version)
      await expectSilence(resumed.client, 200)
    })

    test(`${label}: with queueQos0 QoS 0 messages are queued too, in order`, async (t) => {
      const broker = await startBroker({ queueQos0: true })
      t.after(() => broker.close())
      const clientId = uniqueId('q0y')
      const first = await rawSession(t, broker.port, version, persistent(version, clientId))
      await subscribe(first.client, version, 'offline/any', 1)
      await disconnect(first.client, version)
      const publisher = await mqttClient(t, broker.url)
      await publisher.publishAsync('offline/any', 'qos0', { qos: 0 })
      await publisher.publishAsync('offline/any', 'qos1', { qos: 1 })
      const resumed = await rawSession(t, broker.port, version, persistent(version, clientId))
      const a = asPublish(await resumed.client.next())
      const b = asPublish(await resumed.client.next())
      assert.deepEqual([a.payload.toString(), a.qos], ['qos0', 0])
      assert.deepEqual([b.payload.toString(), b.qos], ['qos1', 1])
    })
  }
})
