import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { connectBytes, lengthPrefixed } from '../../helpers/packet-bytes.js'
import { asConnack, assertBrokerAlive, expectClosedSilently } from '../../helpers/session-clients.js'
import { openSocket, watchedBroker } from './watched-broker.js'

/**
 * MQTT 3.1.1 CONNECT packets that break a rule of §3.1: the broker closes the connection without a CONNACK
 * [MQTT-3.1.4-1, MQTT-3.2.2-6], publishes no will from them, and keeps serving everyone else.
 */

const CLEAN = 0x02
const WILL = 0x04
const WILL_QOS_1 = 0x08
const WILL_RETAIN = 0x20
const PASSWORD = 0x40
const USER_NAME = 0x80

const clientId = lengthPrefixed('bad-connect')
const willTopic = lengthPrefixed('conformance/will')
const willMessage = lengthPrefixed('from a refused CONNECT')
const illFormed = Buffer.from([0x61, 0xff, 0x62])

const refusedConnects: Array<{ name: string; bytes: Buffer }> = [
  { name: 'Will Flag 1 without Will Topic and Will Message [MQTT-3.1.2-9]', bytes: connectBytes(CLEAN | WILL, clientId) },
  { name: 'Will QoS 1 with Will Flag 0 [MQTT-3.1.2-11, MQTT-3.1.2-13]', bytes: connectBytes(CLEAN | WILL_QOS_1, clientId) },
  { name: 'Will Retain 1 with Will Flag 0 [MQTT-3.1.2-11, MQTT-3.1.2-15]', bytes: connectBytes(CLEAN | WILL_RETAIN, clientId) },
  { name: 'User Name Flag 1 without a user name [MQTT-3.1.2-19]', bytes: connectBytes(CLEAN | USER_NAME, clientId) },
  {
    name: 'Password Flag 1 without a password [MQTT-3.1.2-21]',
    bytes: connectBytes(CLEAN | USER_NAME | PASSWORD, clientId, lengthPrefixed('user'))
  },
  { name: 'no Client Identifier field at all [MQTT-3.1.3-3]', bytes: connectBytes(CLEAN) },
  { name: 'ill-formed UTF-8 in the Client Identifier [MQTT-3.1.3-4]', bytes: connectBytes(CLEAN, lengthPrefixed(illFormed)) },
  {
    name: 'ill-formed UTF-8 in the Will Topic [MQTT-3.1.3-10]',
    bytes: connectBytes(CLEAN | WILL, clientId, lengthPrefixed(illFormed), willMessage)
  },
  {
    name: 'Will Flag 1 and Will QoS 3 [MQTT-3.1.2-14]',
    bytes: connectBytes(CLEAN | WILL | 0x18, clientId, willTopic, willMessage)
  },
  {
    name: 'a user name in the payload with User Name Flag 0 [MQTT-3.1.2-18]',
    bytes: connectBytes(CLEAN, clientId, lengthPrefixed('user'))
  },
  {
    name: 'a password in the payload with Password Flag 0 [MQTT-3.1.2-20]',
    bytes: connectBytes(CLEAN | USER_NAME, clientId, lengthPrefixed('user'), lengthPrefixed('secret'))
  },
  {
    name: 'a Will Topic and Will Message in the payload with Will Flag 0 [MQTT-3.1.2-11]',
    bytes: connectBytes(CLEAN, clientId, willTopic, willMessage)
  },
  {
    name: 'ill-formed UTF-8 in the User Name [MQTT-3.1.3-11]',
    bytes: connectBytes(CLEAN | USER_NAME, clientId, lengthPrefixed(illFormed))
  }
]

describe('3.1.1 CONNECT validation', { concurrency: true }, () => {
  for (const { name, bytes } of refusedConnects) {
    test(`3.1.1 CONNECT with ${name}: closed without CONNACK, no will, broker keeps serving`, async (t) => {
      const { port, url, inbox } = await watchedBroker(t)
      const socket = await openSocket(t, port)
      socket.sendBytes(bytes)
      await expectClosedSilently(socket)
      await inbox.none(100)
      await assertBrokerAlive(t, url)
    })
  }

  test('3.1.1 CONNECT with every optional field, in the order of §3.1.3, is accepted and each field read right [MQTT-3.1.3-1]', async (t) => {
    const { port, inbox } = await watchedBroker(t, 'conformance/will')
    const socket = await openSocket(t, port)
    const flags = USER_NAME | PASSWORD | WILL_QOS_1 | WILL | CLEAN
    socket.sendBytes(connectBytes(flags, clientId, willTopic, willMessage, lengthPrefixed('user'), lengthPrefixed('secret')))
    const connack = asConnack(await socket.next())
    assert.deepEqual([connack.returnCode, connack.sessionPresent], [0, false])
    socket.destroy()
    const will = await inbox.takeOne()
    assert.deepEqual([will.topic, will.payload.toString(), will.packet.qos], ['conformance/will', 'from a refused CONNECT', 1])
  })
})
