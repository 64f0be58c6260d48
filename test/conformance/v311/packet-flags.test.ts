import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { lengthPrefixed, packet } from '../../helpers/packet-bytes.js'
import type { RawClient } from '../../helpers/raw-client.js'
import { assertBrokerAlive, connectPacket, expectClosedSilently, mqttClient, rawSession } from '../../helpers/session-clients.js'
import { recordBytes } from '../../helpers/wire-recorder.js'
import { openSocket, watchedBroker } from './watched-broker.js'

/**
 * MQTT 3.1.1 fixed-header flags and packet identifiers, byte for byte: what the broker sends, and the close that
 * follows packets whose reserved bits or payload break the rules.
 */

const illFormed = Buffer.from([0x61, 0xff, 0x62])

const violations: Array<{ name: string; bytes: Buffer }> = [
  { name: 'a PUBREL with header flags 0 instead of 2 [MQTT-3.6.1-1, MQTT-2.2.2-2]', bytes: packet(0x60, [0, 1]) },
  { name: 'an UNSUBSCRIBE with header flags 0 instead of 2 [MQTT-3.10.1-1]', bytes: packet(0xa0, [0, 1], lengthPrefixed('a/b')) },
  { name: 'a PINGREQ with header flags 1 [MQTT-2.2.2-2]', bytes: packet(0xc1) },
  { name: 'a DISCONNECT with header flags 1 [MQTT-3.14.1-1]', bytes: packet(0xe1) },
  { name: 'ill-formed UTF-8 in a SUBSCRIBE topic filter [MQTT-3.8.3-1]', bytes: packet(0x82, [0, 1], lengthPrefixed(illFormed), [1]) },
  {
    name: 'a SUBSCRIBE whose requested-QoS byte has reserved bits set [MQTT-3.8.3-4]',
    bytes: packet(0x82, [0, 1], lengthPrefixed('a/b'), [0x41])
  },
  { name: 'ill-formed UTF-8 in an UNSUBSCRIBE topic filter [MQTT-3.10.3-1]', bytes: packet(0xa2, [0, 1], lengthPrefixed(illFormed)) },
  { name: 'a PUBLISH with an empty Topic Name [MQTT-4.7.3-1, MQTT-3.3.2-1]', bytes: packet(0x30, lengthPrefixed(''), Buffer.from('x')) }
]

/** Does `act` (bytes to send, or something that makes the broker send), waits for the broker's next packet, and returns the exact bytes that arrived meanwhile, in hex. */
async function exchange(client: RawClient, recorded: () => Buffer, act: Buffer | (() => Promise<unknown>)): Promise<string> {
  const before = recorded().length
  if (Buffer.isBuffer(act)) client.sendBytes(act)
  else await act()
  await client.next()
  return recorded().subarray(before).toString('hex')
}

describe('3.1.1 packet flags and identifiers', { concurrency: true }, () => {
  for (const { name, bytes } of violations) {
    test(`3.1.1: ${name} closes the connection, routes nothing, broker keeps serving`, async (t) => {
      const { port, url, inbox } = await watchedBroker(t)
      const { client } = await rawSession(t, port, 4)
      client.sendBytes(bytes)
      await expectClosedSilently(client)
      await inbox.none(100)
      await assertBrokerAlive(t, url)
    })
  }

  test("3.1.1: the broker's packets carry the fixed-header flags of Table 2.2 and echo each packet id, byte for byte [MQTT-2.2.2-1, MQTT-2.3.1-6, MQTT-2.3.1-7]", async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const socket = await openSocket(t, broker.port)
    const recorded = recordBytes(socket)
    assert.equal(
      await exchange(socket, recorded, async () => socket.send(connectPacket(4, { clientId: 'flag-bytes' }))),
      '20020000',
      'CONNACK, accepted, no session'
    )
    // Two filters, the second invalid: one SUBACK, id 0x1234, a code per filter in order [MQTT-3.8.4-1, MQTT-3.8.4-2].
    const subscribe = packet(0x82, [0x12, 0x34], lengthPrefixed('flags/t'), [2], lengthPrefixed('a/#/b'), [1])
    assert.equal(await exchange(socket, recorded, subscribe), '9004123402' + '80')
    assert.equal(await exchange(socket, recorded, packet(0x32, lengthPrefixed('none/1'), [0x01, 0x01], Buffer.from('q1'))), '40020101')
    assert.equal(await exchange(socket, recorded, packet(0x34, lengthPrefixed('none/2'), [0x02, 0x02], Buffer.from('q2'))), '50020202')
    assert.equal(await exchange(socket, recorded, packet(0x62, [0x02, 0x02])), '70020202')

    const publisher = await mqttClient(t, broker.url, { protocolVersion: 4 })
    // A QoS 0 delivery: DUP 0, RETAIN 0, no packet id [MQTT-2.3.1-5, MQTT-3.3.1-2, MQTT-4.3.1-1].
    const zero = await exchange(socket, recorded, () => publisher.publishAsync('flags/t', 'zero', { qos: 0 }))
    assert.equal(zero, `300d${lengthPrefixed('flags/t').toString('hex')}${Buffer.from('zero').toString('hex')}`)
    // A QoS 2 delivery: PUBLISH 0x34 with a non-zero id, then PUBREL 0x62 with that id [MQTT-2.3.1-1].
    const delivery = await exchange(socket, recorded, async () => {
      // Not awaited: the publisher's flow ends only after this client has taken the message.
      void publisher.publishAsync('flags/t', 'two', { qos: 2 })
    })
    const id = delivery.slice(22, 26)
    assert.equal(delivery, `340e${lengthPrefixed('flags/t').toString('hex')}${id}${Buffer.from('two').toString('hex')}`)
    assert.notEqual(id, '0000')
    assert.equal(await exchange(socket, recorded, Buffer.from(`5002${id}`, 'hex')), `6202${id}`)
    socket.sendBytes(Buffer.from(`7002${id}`, 'hex'))

    assert.equal(await exchange(socket, recorded, packet(0xa2, [0x03, 0x03], lengthPrefixed('flags/t'))), 'b0020303')
    assert.equal(await exchange(socket, recorded, packet(0xc0)), 'd000')
  })
})
