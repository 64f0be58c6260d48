import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { RawClient } from '../helpers/raw-client.js'
import { asConnack, expectClosedSilently, rawSession } from '../helpers/session-clients.js'
import { expectSilence } from '../helpers/silence.js'

/** CONNECT → CONNACK at every protocol level, refusals, assigned ids and the 5.0 CONNACK properties. */

/** Collects every byte the broker sends, for answers mqtt-packet would not parse the way we need. */
function recordBytes(client: RawClient): () => Buffer {
  const chunks: Buffer[] = []
  client.socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  return () => Buffer.concat(chunks)
}

/**
 * A CONNECT built by hand (mqtt-packet refuses to encode some of the invalid ones): keepalive 60, no properties.
 * `flags` 0x02 is Clean Session.
 */
function connectBytes(protocolName: string, level: number, clientId = 'a', flags = 0x02, payloadTail = Buffer.alloc(0)): Buffer {
  const name = Buffer.from(protocolName)
  const id = Buffer.from(clientId)
  const variable = Buffer.concat([
    Buffer.from([0, name.length]),
    name,
    Buffer.from([level, flags, 0, 60]),
    Buffer.from(level === 5 ? [0] : []),
    Buffer.from([0, id.length]),
    id,
    payloadTail
  ])
  return Buffer.concat([Buffer.from([0x10, variable.length]), variable])
}

test('3.1 (MQIsdp, level 3) CONNECT is accepted', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 3, { clientId: 'v31-client' })
  assert.equal(connack.returnCode, 0)
  assert.equal(connack.sessionPresent, false)
  await expectSilence(client, 100)
  assert.equal(client.isClosed, false)
})

test('3.1.1 (MQTT, level 4) CONNECT is accepted', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 4)
  assert.equal(connack.returnCode, 0)
  assert.equal(connack.sessionPresent, false)
  await expectSilence(client, 100)
  assert.equal(client.isClosed, false)
})

test('5.0 (MQTT, level 5) CONNECT is accepted', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 5)
  assert.equal(connack.reasonCode, 0)
  assert.equal(connack.sessionPresent, false)
  await expectSilence(client, 100)
  assert.equal(client.isClosed, false)
})

test('level 3 under the protocol name MQTT is refused with return code 1, then the close', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  const bytes = recordBytes(client)
  client.sendBytes(connectBytes('MQTT', 3))
  assert.equal(await client.waitClosed(2000), true, 'connection closed')
  assert.deepEqual([...bytes()], [0x20, 0x02, 0x00, 0x01])
})

test('3.1.1: empty client id with clean session is accepted [MQTT-3.1.3-6]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client, connack } = await rawSession(t, broker.port, 4, { clientId: '', clean: true })
  assert.equal(connack.returnCode, 0)
  assert.equal(connack.sessionPresent, false)
  await expectSilence(client, 100)
  assert.equal(client.isClosed, false)
})

test('3.1.1: empty client id without clean session is refused with return code 2, then the close [MQTT-3.1.3-8]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  client.sendBytes(connectBytes('MQTT', 4, '', 0x00))
  const connack = asConnack(await client.next())
  assert.equal(connack.returnCode, 2)
  assert.equal(connack.sessionPresent, false, 'session present is 0 on a refusal [MQTT-3.2.2-4]')
  await expectClosedSilently(client)
})

test('3.1: empty client id is refused with return code 2 (identifier rejected), then the close', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 3)
  t.after(() => client.destroy())
  client.sendBytes(connectBytes('MQIsdp', 3, '', 0x02))
  const connack = asConnack(await client.next())
  assert.equal(connack.returnCode, 2)
  await expectClosedSilently(client)
})

test('5.0: empty client id is accepted with an Assigned Client Identifier [MQTT-3.2.2-16]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const first = await rawSession(t, broker.port, 5, { clientId: '' })
  const second = await rawSession(t, broker.port, 5, { clientId: '' })
  const firstId = first.connack.properties?.assignedClientIdentifier
  const secondId = second.connack.properties?.assignedClientIdentifier
  assert.equal(typeof firstId, 'string')
  assert.ok(firstId!.length > 0, 'assigned id is not empty')
  assert.equal(typeof secondId, 'string')
  assert.notEqual(firstId, secondId, 'assigned ids are unique')
  // Both stay connected: the second did not take the first one's session over.
  await expectSilence(first.client, 100)
  assert.equal(first.client.isClosed, false)
  assert.equal(second.client.isClosed, false)
})

test('5.0: a client that sends its own id gets no Assigned Client Identifier', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { clientId: 'has-an-id' })
  assert.equal(connack.properties?.assignedClientIdentifier, undefined)
})

test('5.0 CONNACK carries the broker limits and feature flags [MQTT-3.2.2.3]', async (t) => {
  const broker = await startBroker({ receiveMaximum: 20, topicAliasMaximum: 7, maxPacketSize: 5000 })
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5)
  const properties = connack.properties ?? {}
  assert.equal(properties.receiveMaximum, 20)
  assert.equal(properties.topicAliasMaximum, 7)
  assert.equal(properties.maximumPacketSize, 5000)
  // Absent means "available" for these (3.2.2.3.11-13); the broker supports all three, so none may say false.
  assert.notEqual(properties.wildcardSubscriptionAvailable, false)
  assert.notEqual(properties.sharedSubscriptionAvailable, false)
  assert.notEqual(properties.subscriptionIdentifiersAvailable, false)
  assert.notEqual(properties.retainAvailable, false)
  assert.equal(properties.maximumQoS, undefined, 'QoS 2 is supported, so Maximum QoS is absent')
})

test('5.0 CONNACK with default options: Maximum Packet Size and Topic Alias Maximum follow the defaults', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5)
  assert.equal(connack.properties?.maximumPacketSize, 1024 * 1024)
  assert.equal(connack.properties?.topicAliasMaximum, 64)
  assert.equal(connack.properties?.receiveMaximum, 1024)
})

test('5.0: Server Keep Alive caps a longer client keepalive (maxKeepalive)', async (t) => {
  const broker = await startBroker({ maxKeepalive: 10 })
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { keepalive: 60 })
  assert.equal(connack.properties?.serverKeepAlive, 10)
})

test('5.0: Server Keep Alive is sent when the client asks for no keepalive (0) and a cap is set', async (t) => {
  const broker = await startBroker({ maxKeepalive: 10 })
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { keepalive: 0 })
  assert.equal(connack.properties?.serverKeepAlive, 10)
})

test('5.0: a keepalive within the cap is kept (Server Keep Alive absent or equal to it)', async (t) => {
  const broker = await startBroker({ maxKeepalive: 10 })
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { keepalive: 5 })
  const serverKeepAlive = connack.properties?.serverKeepAlive
  assert.ok(serverKeepAlive === undefined || serverKeepAlive === 5, `serverKeepAlive ${serverKeepAlive}`)
})

test('5.0: without maxKeepalive the client keepalive is kept (Server Keep Alive absent or equal to it)', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { keepalive: 60 })
  const serverKeepAlive = connack.properties?.serverKeepAlive
  assert.ok(serverKeepAlive === undefined || serverKeepAlive === 60, `serverKeepAlive ${serverKeepAlive}`)
})

test('5.0: a requested Session Expiry Interval above maxSessionExpiry is lowered in CONNACK [MQTT-3.2.2.3.2]', async (t) => {
  const broker = await startBroker({ maxSessionExpiry: 30 })
  t.after(() => broker.close())
  const { connack } = await rawSession(t, broker.port, 5, { properties: { sessionExpiryInterval: 3600 } })
  assert.equal(connack.properties?.sessionExpiryInterval, 30)
})

test('3.1.1: CONNACK for a clean session has session present 0 [MQTT-3.2.2-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { client } = await rawSession(t, broker.port, 4, { clientId: 'returning', clean: false })
  client.send({ cmd: 'disconnect' })
  await client.waitClosed()
  const again = await rawSession(t, broker.port, 4, { clientId: 'returning', clean: true })
  assert.equal(again.connack.sessionPresent, false)
})

test('3.1: a client id longer than 23 characters is refused with return code 2, then the close', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 3)
  t.after(() => client.destroy())
  client.sendBytes(connectBytes('MQIsdp', 3, 'x'.repeat(24)))
  const connack = asConnack(await client.next())
  assert.equal(connack.returnCode, 2)
  await expectClosedSilently(client)
})

test('3.1.1: a password without a user name is a protocol violation: no accepting CONNACK, then the close [MQTT-3.1.2-22]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  const bytes = recordBytes(client)
  // Clean Session + Password flag, no User Name flag; the password follows the client id.
  client.sendBytes(connectBytes('MQTT', 4, 'pw-only', 0x42, Buffer.from([0, 6, ...Buffer.from('secret')])))
  assert.equal(await client.waitClosed(2000), true, `connection closed (broker sent ${JSON.stringify([...bytes()])})`)
  const answer = [...bytes()]
  assert.ok(answer.length === 0 || (answer[0] === 0x20 && answer[3] !== 0), `unexpected answer ${JSON.stringify(answer)}`)
})

// Last: when these fail, what they break (see their final asserts) can outlive the test in this process.

test('an unknown protocol name is not answered with an accepting CONNACK, the connection closes, the next client is served [MQTT-3.1.2-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  const bytes = recordBytes(client)
  client.sendBytes(connectBytes('MQTX', 4))
  assert.equal(await client.waitClosed(2000), true, 'connection closed')
  const answer = [...bytes()]
  // The spec allows either a silent close or a refusal; never an acceptance.
  assert.ok(answer.length === 0 || (answer[0] === 0x20 && answer[3] !== 0), `unexpected answer ${JSON.stringify(answer)}`)
  const { connack } = await rawSession(t, broker.port, 4)
  assert.equal(connack.returnCode, 0, 'the next client is served')
})

test('unknown protocol level 6 gets CONNACK return code 1 (3.1.1 format), then the close [MQTT-3.1.2-2]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  const bytes = recordBytes(client)
  client.sendBytes(connectBytes('MQTT', 6))
  assert.equal(await client.waitClosed(2000), true, 'connection closed')
  assert.deepEqual([...bytes()], [0x20, 0x02, 0x00, 0x01])
  // The refusal leaves nothing behind: the next client connects normally.
  const { connack } = await rawSession(t, broker.port, 4)
  assert.equal(connack.returnCode, 0)
})

test('CONNECT with the reserved flag bit set is closed without CONNACK, and the next client is served [MQTT-3.1.2-3]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const client = await RawClient.open(broker.port, 4)
  t.after(() => client.destroy())
  client.sendBytes(connectBytes('MQTT', 4, 'reserved-bit', 0x03))
  await expectClosedSilently(client)
  const { connack } = await rawSession(t, broker.port, 4)
  assert.equal(connack.returnCode, 0)
})
