import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeEntry, ENTRY_FORMAT, encodeEntry, type ForwardedMessage } from '../../../broker/cluster/forwarded-codec.js'
import type { Message } from '../../../broker/message.js'

// The binary form of a stream entry (several forwarded messages): what goes in comes out, and damaged bytes are refused.

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
    { message: message({}), plain: true, groups: [], targets: [] },
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
      targets: ['node-1', 'node-3']
    },
    { message: message({ qos: 0, payload: Buffer.alloc(0) }), plain: true, groups: [], targets: ['node-2'], client: 'thermostat-7' }
  ]
  const decoded = decodeEntry(encodeEntry(records))
  assert.equal(decoded.length, 3)
  for (let i = 0; i < records.length; i++) {
    assert.deepEqual(decoded[i], records[i])
  }
})

test('an entry of another format, cut short, or with trailing bytes is refused', () => {
  const bytes = encodeEntry([{ message: message({}), plain: true, groups: [], targets: [] }])
  const newer = Buffer.from(bytes)
  newer[0] = ENTRY_FORMAT + 1
  assert.throws(() => decodeEntry(newer), new RegExp(`format ${ENTRY_FORMAT + 1}`))
  assert.throws(() => decodeEntry(bytes.subarray(0, bytes.length - 1)), /cut short/)
  assert.throws(() => decodeEntry(Buffer.concat([bytes, Buffer.from([0])])), /past its last record/)
})

test('batching is compact: a small reading costs little more than its topic and payload', () => {
  const records = Array.from({ length: 100 }, (_, i) => ({ message: message({ id: i }), plain: true, groups: [], targets: [] }))
  const perMessage = encodeEntry(records).length / 100
  // 18 bytes of topic, 4 of payload, 8 of origin: the rest (flags, three doubles, lengths) stays under 35 bytes.
  assert.ok(perMessage < 18 + 4 + 8 + 35, `${perMessage} bytes per message`)
})
