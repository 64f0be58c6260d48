import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { type TestContext, test } from 'node:test'
import mqtt, { type Packet } from 'mqtt-packet'
import { connectPacket } from '../../helpers/session-clients.js'
import { type StoreKind, startRestartableBroker } from './restartable-broker.js'

/**
 * A 5.0 client that sends more unacknowledged QoS 1/2 PUBLISHes than the Receive Maximum the broker told it gets
 * DISCONNECT 0x93 Receive Maximum exceeded [MQTT-3.3.4-9], and the broker stops reading only after that DISCONNECT
 * is written: a client that keeps reading until the socket closes finds its bytes.
 */

const RECEIVE_MAXIMUM = 4

/** Every byte the broker sent on one connection until it closed the socket, after `send` was written at once. */
function bytesUntilClose(t: TestContext, port: number, send: Buffer): Promise<Buffer> {
  const socket = connect({ host: '127.0.0.1', port })
  t.after(() => socket.destroy())
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  socket.on('connect', () => socket.write(send))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the broker did not close the connection within 5 s')), 5000)
    socket.on('error', () => {}) // a reset after the close is fine: what matters is what was read before it
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

function packetsOf(bytes: Buffer): Packet[] {
  const packets: Packet[] = []
  const parser = mqtt.parser({ protocolVersion: 5 })
  parser.on('packet', (packet: Packet) => packets.push(packet))
  parser.parse(bytes)
  return packets
}

const cases: Array<[StoreKind, 1 | 2]> = [
  ['sqlite', 1], // PUBACK waits for the commit, so QoS 1 PUBLISHes sent at once stay unacknowledged
  ['memory', 2] // an inbound QoS 2 counts until its PUBREL, which this client never sends
]

for (const [store, qos] of cases) {
  test(`[MQTT-3.3.4-9] ${store}: Receive Maximum ${RECEIVE_MAXIMUM} + 1 QoS ${qos} PUBLISHes sent without waiting: the client reads DISCONNECT 0x93 before the close`, async (t) => {
    const broker = await startRestartableBroker(t, store, { options: { receiveMaximum: RECEIVE_MAXIMUM } })
    const publishes = Array.from({ length: RECEIVE_MAXIMUM + 1 }, (_, index) =>
      mqtt.generate(
        { cmd: 'publish', topic: 'burst/t', payload: Buffer.from(String(index)), qos, dup: false, retain: false, messageId: index + 1 },
        { protocolVersion: 5 }
      )
    )
    const connectBytes = mqtt.generate(connectPacket(5), { protocolVersion: 5 })
    const bytes = await bytesUntilClose(t, broker.port, Buffer.concat([connectBytes, ...publishes]))

    const packets = packetsOf(bytes)
    assert.equal(packets[0]?.cmd, 'connack')
    const last = packets.at(-1) as { cmd: string; reasonCode?: number }
    assert.deepEqual([last.cmd, last.reasonCode], ['disconnect', 0x93])
    // The DISCONNECT's own bytes: type 0xE0, its remaining length, reason code 0x93.
    const at = bytes.lastIndexOf(0xe0)
    assert.ok(at > 0, 'a DISCONNECT fixed header arrived')
    assert.equal(bytes[at + 2], 0x93, `reason code byte of ${bytes.subarray(at).toString('hex')}`)
    assert.equal(at + 2 + bytes[at + 1]!, bytes.length, 'the DISCONNECT is the last thing on the wire')
    const acknowledged = packets.filter((packet) => packet.cmd === 'puback' || packet.cmd === 'pubrec').length
    assert.ok(acknowledged <= RECEIVE_MAXIMUM, `${acknowledged} acknowledged, at most the Receive Maximum`)
  })
}
