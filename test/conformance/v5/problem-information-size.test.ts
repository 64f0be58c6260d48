import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { lengthPrefixed, remainingLength } from '../../helpers/packet-bytes.js'
import { RawClient } from '../../helpers/raw-client.js'
import { assertBrokerAlive, connectPacket, expectDisconnect, rawSession } from '../../helpers/session-clients.js'
import { recordBytes } from '../../helpers/wire-recorder.js'

/**
 * What a 5.0 client's Maximum Packet Size and well-formed strings oblige the broker to: a CONNACK or DISCONNECT
 * that would exceed the client's limit goes without its Reason String, and a PUBLISH whose User Property is
 * ill-formed UTF-8 is a Malformed Packet.
 */

test('a refusing CONNACK that its Reason String would make larger than the client accepts goes without it [MQTT-3.2.2-19, MQTT-3.1.2-24]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 5)
  t.after(() => client.destroy())
  const bytes = recordBytes(client)
  // An authentication method is refused with 0x8C and, without a limit, a reason string naming it.
  client.send(connectPacket(5, { properties: { maximumPacketSize: 16, authenticationMethod: 'a-method-the-broker-does-not-know' } }), 5)
  await client.waitClosed()
  const received = bytes()
  assert.ok(received.length > 0 && received.length <= 16, `CONNACK of ${received.length} bytes: ${received.toString('hex')}`)
  assert.equal(received[0], 0x20)
  assert.equal(received[3], 0x8c, 'still the reason code')
})

test('a DISCONNECT that its Reason String would make larger than the client accepts goes without it [MQTT-3.14.2-3, MQTT-3.1.2-24]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client } = await rawSession(t, broker.port, 5, { properties: { maximumPacketSize: 16 } })
  const bytes = recordBytes(client)
  client.send(connectPacket(5), 5) // a second CONNECT: Protocol Error, with a long reason string otherwise
  await client.waitClosed()
  const received = bytes()
  assert.ok(received.length > 0 && received.length <= 16, `DISCONNECT of ${received.length} bytes: ${received.toString('hex')}`)
  assert.deepEqual([received[0], received[2]], [0xe0, 0x82])
})

test('a PUBLISH with an ill-formed UTF-8 User Property is a Malformed Packet: DISCONNECT 0x81 [MQTT-1.5.7-1, MQTT-1.5.4-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client } = await rawSession(t, broker.port, 5)
  // User Property (0x26): name "k", value with the lone byte 0xFF.
  const properties = Buffer.concat([Buffer.from([0x26]), lengthPrefixed('k'), lengthPrefixed(Buffer.from([0x61, 0xff]))])
  const body = Buffer.concat([lengthPrefixed('a/b'), Buffer.from(remainingLength(properties.length)), properties, Buffer.from('payload')])
  client.sendBytes(Buffer.concat([Buffer.from([0x30, ...remainingLength(body.length)]), body]))
  await expectDisconnect(client, 0x81)
  await assertBrokerAlive(t, broker.url)
})

test('a PUBLISH whose User Property holds a real U+FFFD, and whose payload holds any bytes, is delivered [MQTT-1.5.7-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client } = await rawSession(t, broker.port, 5)
  client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/b', qos: 0 }] }, 5)
  await client.next()
  client.send(
    {
      cmd: 'publish',
      topic: 'a/b',
      payload: Buffer.from([0xff, 0xfe]),
      qos: 0,
      retain: false,
      dup: false,
      properties: { userProperties: { k: '\uFFFD' } }
    },
    5
  )
  const delivered = await client.next()
  assert.equal(delivered.cmd, 'publish')
})
