import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEntry, ENTRY_FORMAT, encodeEntry, type ForwardedMessage, messageIdentity } from '../../../broker/cluster/forwarded-codec.js'
import type { Message } from '../../../broker/message.js'

// The binary form of a stream entry (several forwarded messages): what goes in comes out, and damaged bytes are refused.

const SENDER = 'node-1@mabc-1234abcd'

function message(overrides: Partial<Message>): Message {
  return {
    id: 1,
    topic: 'site/a/temperature',
    payload: Buffer.from('21.5'),
    qos: 1,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: 1_764_000_000_123,
    origin: 'sensor-1',
    forms: undefined,
    ...overrides
  }
}

test('messages with every field, properties, groups and a large payload survive the round trip', () => {
  const records: ForwardedMessage[] = [
    { message: message({}), plain: true, groups: [], publisher: SENDER },
    {
      message: message({
        id: 2 ** 40 + 7,
        topic: 'größe/ü/#weird',
        payload: Buffer.alloc(300_000, 0xab),
        qos: 2,
        retain: true,
        expiresAt: 1_764_000_060_000,
        origin: '',
        properties: {
          contentType: 'application/json',
          correlationData: Buffer.from([0, 1, 2, 255]),
          userProperties: { site: 'a', tags: ['x', 'y'] },
          payloadFormatIndicator: true,
          responseTopic: 'reply/here'
        }
      }),
      plain: false,
      groups: ['workers/site/+/temperature', 'g2/#'],
      publisher: SENDER
    },
    // Relayed: published on another member, whose name the record carries.
    {
      message: message({ qos: 0, payload: Buffer.alloc(0) }),
      plain: true,
      groups: [],
      client: 'thermostat-7',
      publisher: 'node-3@mabd-0000ffff'
    }
  ]
  const decoded = decodeEntry(encodeEntry(SENDER, records))
  assert.equal(decoded.length, 3)
  for (let i = 0; i < records.length; i++) {
    assert.deepEqual(decoded[i], records[i])
  }
})

test('an entry of another format, cut short, or with trailing bytes is refused', () => {
  const bytes = encodeEntry(SENDER, [{ message: message({}), plain: true, groups: [], publisher: SENDER }])
  const newer = Buffer.from(bytes)
  newer[0] = ENTRY_FORMAT + 1
  assert.throws(() => decodeEntry(newer), new RegExp(`format ${ENTRY_FORMAT + 1}`))
  assert.throws(() => decodeEntry(bytes.subarray(0, bytes.length - 1)), /cut short/)
  assert.throws(() => decodeEntry(Buffer.concat([bytes, Buffer.from([0])])), /past its last record/)
})

test('batching is compact: a small reading costs little more than its topic and payload', () => {
  const records = Array.from({ length: 100 }, (_, i) => ({ message: message({ id: i }), plain: true, groups: [], publisher: SENDER }))
  const perMessage = encodeEntry(SENDER, records).length / 100
  // 18 bytes of topic, 4 of payload, 8 of origin: the rest (flags, three doubles, lengths) stays under 35 bytes.
  assert.ok(perMessage < 18 + 4 + 8 + 35, `${perMessage} bytes per message`)
})

test("a message's identity is its publishing member and id, the same in a relayed copy as in the first", () => {
  const original = decodeEntry(encodeEntry('node-3@c', [{ message: message({ id: 42 }), plain: true, groups: [], publisher: 'node-3@c' }]))
  const relayed = decodeEntry(
    encodeEntry('node-1@a', [{ message: message({ id: 42 }), plain: true, groups: [], client: 'x', publisher: 'node-3@c' }])
  )
  assert.equal(messageIdentity(original[0].publisher, original[0].message), messageIdentity(relayed[0].publisher, relayed[0].message))
  assert.notEqual(messageIdentity('node-1@a', message({ id: 42 })), messageIdentity('node-3@c', message({ id: 42 })))
})
