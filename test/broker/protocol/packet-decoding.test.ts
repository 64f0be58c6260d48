import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import mqtt, { type IPublishPacket, type Packet } from 'mqtt-packet'
import { decodePacket } from '../../../broker/protocol/codec.js'

/** What mqtt-packet's own parser makes of `bytes`, or the message of the error it reports. */
function parsedByMqttPacket(bytes: Buffer, protocolVersion: 3 | 4 | 5): Packet | string {
  const parser = mqtt.parser({ protocolVersion })
  let result: Packet | string = 'no packet'
  parser.on('packet', (packet: Packet) => {
    result = packet
  })
  parser.on('error', (error: Error) => {
    result = error.message
  })
  parser.parse(bytes)
  return result
}

function decoded(bytes: Buffer, protocolVersion: 3 | 4 | 5): Packet | string {
  try {
    return decodePacket(bytes, protocolVersion)
  } catch (error) {
    return (error as Error).message
  }
}

/** The fields a handler reads, without mqtt-packet's class or the keys of an absent messageId or reasonCode. */
function fields(packet: Packet | string): unknown {
  if (typeof packet === 'string') return packet
  return { ...packet, messageId: (packet as IPublishPacket).messageId, reasonCode: (packet as { reasonCode?: number }).reasonCode }
}

function publish(overrides: Partial<IPublishPacket>): IPublishPacket {
  return { cmd: 'publish', topic: 'site/1/temperature', payload: Buffer.from('21.5'), qos: 0, retain: false, dup: false, ...overrides }
}

describe('PUBLISH decoding decodes what mqtt-packet decodes, field for field', () => {
  const packets: Array<[string, IPublishPacket]> = [
    ['QoS 0', publish({})],
    ['QoS 1, retained', publish({ qos: 1, messageId: 7, retain: true })],
    ['QoS 2, DUP', publish({ qos: 2, messageId: 65535, dup: true })],
    ['empty payload', publish({ payload: Buffer.alloc(0) })],
    ['non-ASCII topic', publish({ topic: 'gebäude/küche/℃' })],
    ['a payload over 127 bytes (two-byte remaining length)', publish({ payload: Buffer.alloc(300, 7) })]
  ]
  for (const version of [4, 5] as const) {
    for (const [label, packet] of packets) {
      test(`${version === 5 ? '5.0' : '3.1.1'}: ${label}`, () => {
        const bytes = mqtt.generate(packet, { protocolVersion: version })
        assert.deepEqual(fields(decoded(bytes, version)), fields(parsedByMqttPacket(bytes, version)))
      })
    }
  }

  test('5.0 with properties', () => {
    const bytes = mqtt.generate(publish({ properties: { contentType: 'text/plain', userProperties: { a: 'b' } } }), { protocolVersion: 5 })
    assert.deepEqual(fields(decoded(bytes, 5)), fields(parsedByMqttPacket(bytes, 5)))
  })

  test('a malformed PUBLISH is refused as mqtt-packet refuses it', () => {
    const qos3 = Buffer.from([0x36, 0x05, 0x00, 0x01, 0x61, 0x00, 0x01])
    const topicCutShort = Buffer.from([0x30, 0x03, 0x00, 0x05, 0x61])
    const idCutShort = Buffer.from([0x32, 0x04, 0x00, 0x01, 0x61, 0x00])
    for (const bytes of [qos3, topicCutShort, idCutShort]) {
      const ours = decoded(bytes, 4)
      const theirs = parsedByMqttPacket(bytes, 4)
      if (typeof theirs === 'string') assert.match(String(ours), new RegExp(theirs))
      else assert.deepEqual(fields(ours), fields(theirs))
    }
  })

  test('the payload is a view of the packet bytes, not a copy', () => {
    const bytes = mqtt.generate(publish({}), { protocolVersion: 4 })
    const packet = decodePacket(bytes, 4) as IPublishPacket
    assert.equal((packet.payload as Buffer).buffer, bytes.buffer)
  })
})

describe('acknowledgements decode as mqtt-packet decodes them', () => {
  const headers = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 }
  for (const [cmd, header] of Object.entries(headers)) {
    for (const protocolVersion of [3, 4, 5] as const) {
      test(`${cmd}, protocol level ${protocolVersion}`, () => {
        for (const bytes of [
          Buffer.from([header, 2, 0x12, 0x34]),
          Buffer.from([header, 2, 0, 0]), // packet id 0: whatever mqtt-packet makes of it
          Buffer.from([header ^ 0x01, 2, 0, 7]) // wrong fixed-header flags
        ]) {
          assert.deepEqual(fields(decoded(bytes, protocolVersion)), fields(parsedByMqttPacket(bytes, protocolVersion)))
        }
      })
    }
  }
  test("a 5.0 acknowledgement with a reason code is still mqtt-packet's", () => {
    const bytes = Buffer.from([0x40, 3, 0, 7, 0x10])
    assert.deepEqual(fields(decoded(bytes, 5)), fields(parsedByMqttPacket(bytes, 5)))
    assert.equal((decoded(bytes, 5) as { reasonCode?: number }).reasonCode, 0x10)
  })
})
