import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { BrokerOptions } from '../../broker/options.js'
import { startBroker } from '../helpers/broker.js'
import { Inbox } from '../helpers/mqtt-inbox.js'
import { lengthPrefixed, packet } from '../helpers/packet-bytes.js'
import { RawClient } from '../helpers/raw-client.js'
import {
  asPublish,
  assertBrokerAlive,
  connectPacket,
  expectClosedSilently,
  expectDisconnect,
  mqttClient,
  type ProtocolVersion,
  rawSession
} from '../helpers/session-clients.js'

/**
 * Malformed input and protocol violations: each closes only the offending connection (5.0: after a DISCONNECT
 * with the right reason code), routes nothing, and leaves the broker serving everyone else.
 */

/** A PUBLISH built by hand: any topic bytes, any header flags. QoS > 0 gets packet id 1. */
function publishBytes(version: ProtocolVersion, topic: Buffer | string, payload: Buffer, flags = 0): Buffer {
  const qos = (flags >> 1) & 3
  return packet(
    0x30 | flags,
    Buffer.concat([lengthPrefixed(topic), Buffer.from(qos > 0 ? [0, 1] : []), Buffer.from(version === 5 ? [0] : []), payload])
  )
}

type Expected = 'close' | number[]

interface Violation {
  name: string
  /** What the broker must do: close silently (3.1.1), or 5.0 DISCONNECT with one of these reason codes then close. */
  expected: Record<4 | 5, Expected>
  bytes(version: ProtocolVersion): Buffer
  options?: Partial<BrokerOptions>
}

/** Violations after a successful CONNECT, run at 3.1.1 and at 5.0. */
const violations: Violation[] = [
  {
    name: 'a second CONNECT [MQTT-3.1.0-2]',
    expected: { 4: 'close', 5: [0x82] },
    bytes: (version) => mqttConnectBytes(version)
  },
  {
    name: 'invalid UTF-8 (0xFF) in a PUBLISH topic [MQTT-1.5.3-1 / MQTT-1.5.4-1]',
    expected: { 4: 'close', 5: [0x81, 0x82] },
    bytes: (version) => publishBytes(version, Buffer.from([0x61, 0x2f, 0xff, 0x62]), Buffer.from('bad'))
  },
  {
    name: 'a UTF-16 surrogate (ED A0 80) in a PUBLISH topic [MQTT-1.5.3-1 / MQTT-1.5.4-1]',
    expected: { 4: 'close', 5: [0x81, 0x82] },
    bytes: (version) => publishBytes(version, Buffer.from([0x61, 0xed, 0xa0, 0x80]), Buffer.from('bad'))
  },
  {
    name: 'a NUL character in a PUBLISH topic [MQTT-1.5.3-2 / MQTT-1.5.4-2]',
    expected: { 4: 'close', 5: [0x81, 0x82] },
    bytes: (version) => publishBytes(version, 'a/\u0000/b', Buffer.from('bad'))
  },
  {
    name: 'a + wildcard in a PUBLISH topic [MQTT-3.3.2-2]',
    expected: { 4: 'close', 5: [0x90] },
    bytes: (version) => publishBytes(version, 'a/+/b', Buffer.from('bad'))
  },
  {
    name: 'a # wildcard in a PUBLISH topic [MQTT-3.3.2-2]',
    expected: { 4: 'close', 5: [0x90] },
    bytes: (version) => publishBytes(version, 'a/#', Buffer.from('bad'))
  },
  {
    name: 'a PUBLISH with both QoS bits set [MQTT-3.3.1-4]',
    expected: { 4: 'close', 5: [0x81] },
    bytes: (version) => publishBytes(version, 'a/b', Buffer.from('bad'), 0x06)
  },
  {
    name: 'a SUBSCRIBE with header flags 0 instead of 2 [MQTT-3.8.1-1]',
    expected: { 4: 'close', 5: [0x81] },
    bytes: (version) =>
      packet(0x80, Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : []), lengthPrefixed('a/b'), Buffer.from([1])]))
  },
  {
    // mqtt-packet parses these; the fuzzer found them reaching the handlers, whose empty SUBACK failed to encode.
    name: 'a SUBSCRIBE without a topic filter [MQTT-3.8.3-3 / MQTT-3.8.3-2]',
    expected: { 4: 'close', 5: [0x81, 0x82] },
    bytes: (version) => packet(0x82, Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : [])]))
  },
  {
    name: 'a NUL character in a SUBSCRIBE topic filter [MQTT-1.5.3-2 / MQTT-1.5.4-2]',
    expected: { 4: 'close', 5: [0x81] },
    bytes: (version) =>
      packet(
        0x82,
        Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : []), lengthPrefixed('a/\u0000/b'), Buffer.from([1])])
      )
  },
  {
    name: 'a NUL character in an UNSUBSCRIBE topic filter [MQTT-1.5.3-2 / MQTT-1.5.4-2]',
    expected: { 4: 'close', 5: [0x81] },
    bytes: (version) =>
      packet(0xa2, Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : []), lengthPrefixed('a/\u0000')]))
  },
  {
    name: 'an UNSUBSCRIBE without a topic filter [MQTT-3.10.3-2]',
    expected: { 4: 'close', 5: [0x81, 0x82] },
    bytes: (version) => packet(0xa2, Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : [])]))
  },
  {
    name: 'a 2000-byte PUBLISH over maxPacketSize 1000 [MQTT-3.2.2-15 / 3.1.2.25]',
    expected: { 4: 'close', 5: [0x95] },
    bytes: (version) => publishBytes(version, 'a/b', Buffer.alloc(2000, 0x61)),
    options: { maxPacketSize: 1000 }
  }
]

/**
 * Violations the decoder finds deep inside a packet's payload. Run last: if they leave decoder state behind,
 * the failure shows up in their own "broker keeps serving" check, not in a neighbour's test.
 */
const payloadViolations: Violation[] = [
  {
    name: 'a SUBSCRIBE requesting QoS 3 [MQTT-3.8.3-4 / MQTT-3-8.3-4]',
    expected: { 4: 'close', 5: [0x81] },
    bytes: (version) =>
      packet(0x82, Buffer.concat([Buffer.from([0, 1]), Buffer.from(version === 5 ? [0] : []), lengthPrefixed('a/b'), Buffer.from([3])]))
  }
]

function mqttConnectBytes(version: ProtocolVersion): Buffer {
  // Built by hand rather than with mqtt-packet so the test does not depend on its encoder accepting it.
  const flags = 0x02
  const body = Buffer.concat([
    lengthPrefixed('MQTT'),
    Buffer.from([version, flags, 0, 0]),
    Buffer.from(version === 5 ? [0] : []),
    lengthPrefixed('again')
  ])
  return packet(0x10, body)
}

function violationTests(violation: Violation): void {
  for (const version of [4, 5] as const) {
    const label = version === 5 ? '5.0' : '3.1.1'
    const expected = violation.expected[version]
    const outcome = expected === 'close' ? 'closes' : `DISCONNECT ${expected.map((c) => `0x${c.toString(16)}`).join('/')} then closes`
    test(`${label}: ${violation.name} ${outcome}, routes nothing, broker keeps serving`, async (t) => {
      const broker = await startBroker(violation.options)
      t.after(() => broker.close())
      const watcher = await mqttClient(t, broker.url)
      const inbox = new Inbox(watcher)
      await watcher.subscribeAsync('#', { qos: 1 })
      const { client } = await rawSession(t, broker.port, version)
      client.sendBytes(violation.bytes(version))
      if (expected === 'close') await expectClosedSilently(client)
      else await expectDisconnect(client, expected)
      await inbox.none(100)
      await assertBrokerAlive(t, broker.url)
    })
  }
}

describe('connect timeout', { concurrency: true }, () => {
  test('a connection that sends no CONNECT within connectTimeout is closed', async (t) => {
    const broker = await startBroker({ connectTimeout: 1 })
    t.after(() => broker.close())
    const client = await RawClient.open(broker.port, 4)
    t.after(() => client.destroy())
    assert.equal(await client.waitClosed(500), false, 'not closed at once')
    await expectClosedSilently(client, 2500)
    await assertBrokerAlive(t, broker.url)
  })

  test('a CONNECT that stops half-way is closed by connectTimeout', async (t) => {
    const broker = await startBroker({ connectTimeout: 1 })
    t.after(() => broker.close())
    const client = await RawClient.open(broker.port, 4)
    t.after(() => client.destroy())
    client.sendBytes(mqttConnectBytes(4).subarray(0, 6))
    await expectClosedSilently(client, 3000)
    await assertBrokerAlive(t, broker.url)
  })

  test('a CONNECT sent in time is not cut off by connectTimeout afterwards', async (t) => {
    const broker = await startBroker({ connectTimeout: 1 })
    t.after(() => broker.close())
    const { client } = await rawSession(t, broker.port, 4, connectPacket(4, { keepalive: 0 }))
    assert.equal(await client.waitClosed(1800), false, 'still open after the connect timeout')
    client.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'ct/t', qos: 0 }] })
    const suback = await client.next()
    assert.deepEqual([suback.cmd, suback.messageId], ['suback', 7])
    client.send({ cmd: 'publish', topic: 'ct/t', payload: Buffer.from('ok'), qos: 0, dup: false, retain: false })
    assert.equal(asPublish(await client.next()).payload.toString(), 'ok')
  })
})

// One at a time: a violation that corrupts state shared between connections must fail its own test, not a neighbour's.
describe('malformed input and protocol violations', () => {
  for (const violation of violations) violationTests(violation)

  test('5.0: a PUBLISH of exactly maxPacketSize bytes is accepted, one byte more is refused with 0x95', async (t) => {
    const broker = await startBroker({ maxPacketSize: 1000 })
    t.after(() => broker.close())
    const watcher = await mqttClient(t, broker.url)
    const inbox = new Inbox(watcher)
    await watcher.subscribeAsync('t', { qos: 0 })
    const { client, connack } = await rawSession(t, broker.port, 5)
    assert.equal(connack.properties?.maximumPacketSize, 1000)
    const fits = publishBytes(5, 't', Buffer.alloc(993, 0x61))
    assert.equal(fits.length, 1000)
    client.sendBytes(fits)
    const delivered = await inbox.takeOne()
    assert.equal(delivered.payload.length, 993)
    const tooBig = publishBytes(5, 't', Buffer.alloc(994, 0x61))
    assert.equal(tooBig.length, 1001)
    client.sendBytes(tooBig)
    await expectDisconnect(client, 0x95)
    await inbox.none(100)
  })

  test('5.0: a Topic Alias above the CONNACK Topic Alias Maximum gets DISCONNECT 0x94 [MQTT-3.3.2-9]', async (t) => {
    const broker = await startBroker({ topicAliasMaximum: 2 })
    t.after(() => broker.close())
    const { client, connack } = await rawSession(t, broker.port, 5)
    assert.equal(connack.properties?.topicAliasMaximum, 2)
    client.send(
      {
        cmd: 'publish',
        topic: 'a/b',
        payload: Buffer.from('x'),
        qos: 0,
        dup: false,
        retain: false,
        properties: { topicAlias: 3 }
      },
      5
    )
    await expectDisconnect(client, 0x94)
    await assertBrokerAlive(t, broker.url)
  })

  test('5.0: a Topic Alias within the maximum works: the alias alone carries the topic afterwards', async (t) => {
    const broker = await startBroker({ topicAliasMaximum: 2 })
    t.after(() => broker.close())
    const watcher = await mqttClient(t, broker.url)
    const inbox = new Inbox(watcher)
    await watcher.subscribeAsync('alias/t', { qos: 0 })
    const { client } = await rawSession(t, broker.port, 5)
    const base = { cmd: 'publish', payload: Buffer.from('1'), qos: 0, dup: false, retain: false } as const
    client.send({ ...base, topic: 'alias/t', properties: { topicAlias: 2 } }, 5)
    client.send({ ...base, topic: '', payload: Buffer.from('2'), properties: { topicAlias: 2 } }, 5)
    const first = await inbox.takeOne()
    const second = await inbox.takeOne()
    assert.deepEqual([first.topic, first.payload.toString()], ['alias/t', '1'])
    assert.deepEqual([second.topic, second.payload.toString()], ['alias/t', '2'])
  })

  test('garbage first byte (packet type 0) closes the connection silently', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const client = await RawClient.open(broker.port, 4)
    t.after(() => client.destroy())
    client.sendBytes([0x00, 0x02, 0xde, 0xad])
    await expectClosedSilently(client)
    await assertBrokerAlive(t, broker.url)
  })

  test('a remaining length with 5 continuation bytes is malformed and closes the connection', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const client = await RawClient.open(broker.port, 4)
    t.after(() => client.destroy())
    client.sendBytes([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])
    await expectClosedSilently(client)
    await assertBrokerAlive(t, broker.url)
  })

  test('a malformed remaining length after CONNECT closes the connection (5.0: 0x81 allowed first)', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const { client } = await rawSession(t, broker.port, 5)
    client.sendBytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f])
    assert.equal(await client.waitClosed(), true)
    const sent = client.pending()
    assert.ok(
      sent.length === 0 || (sent.length === 1 && sent[0]!.cmd === 'disconnect' && sent[0]!.reasonCode === 0x81),
      `unexpected ${JSON.stringify(sent)}`
    )
    await assertBrokerAlive(t, broker.url)
  })

  for (const [name, firstPacket] of [
    ['PUBLISH', publishBytes(4, 'first/not/connect', Buffer.from('sneaky'))],
    ['PINGREQ', Buffer.from([0xc0, 0x00])],
    ['SUBSCRIBE', packet(0x82, Buffer.concat([Buffer.from([0, 1]), lengthPrefixed('#'), Buffer.from([0])]))]
  ] as const) {
    test(`a first packet that is not CONNECT (${name}) closes the connection silently [MQTT-3.1.0-1]`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const watcher = await mqttClient(t, broker.url)
      const inbox = new Inbox(watcher)
      await watcher.subscribeAsync('#', { qos: 0 })
      const client = await RawClient.open(broker.port, 4)
      t.after(() => client.destroy())
      client.sendBytes(firstPacket)
      await expectClosedSilently(client)
      await inbox.none(100)
      await assertBrokerAlive(t, broker.url)
    })
  }

  for (const violation of payloadViolations) violationTests(violation)
})
