import assert from 'node:assert/strict'
import { test } from 'node:test'
import { COMPACT_READING_BYTES, COMPACT_READING_VERSION } from '../../../common/contract/compact-reading.js'
import { ContractError } from '../../../common/contract/contract-error.js'
import { decodeReading, encodeReading } from '../../../common/contract/reading-codec.js'
import type { ReadingMessage } from '../../../common/contract/reading-message.js'
import { thermostatReading } from './thermostat-reading.js'

/** Readings in both forms: round trips, and what is refused. */

test('decodeReading round-trips the JSON and the compact form, telling them apart by the first byte', () => {
  const plain: ReadingMessage = { time: 1_767_225_600_999, temperature: -12.5 }
  for (const reading of [thermostatReading, plain, { ...thermostatReading, heating: false, mode: 'off' as const }]) {
    const json = encodeReading(reading, 'json')
    const compact = encodeReading(reading, 'compact')
    assert.equal(json[0], '{'.charCodeAt(0))
    assert.equal(compact[0], COMPACT_READING_VERSION)
    assert.equal(compact.length, COMPACT_READING_BYTES)
    assert.deepEqual(decodeReading(json), reading)
    assert.deepEqual(decodeReading(compact), reading)
  }
})

test('decodeReading refuses what is not a reading, saying why', () => {
  const bad: Array<[Buffer, RegExp]> = [
    [Buffer.from('{"time": 1, "temperature": "warm"}'), /temperature must be a number/],
    [Buffer.from('{"time": "2026-01-01T00:00:00Z", "temperature": 20}'), /time must be/],
    [Buffer.from('{"temperature": 20'), /not valid JSON/],
    [Buffer.from('[1,2]'), /JSON object or a compact reading/],
    [Buffer.from('{"time": 1, "temperature": 20, "mode": "cool"}'), /mode must be off or heat/],
    [Buffer.from([COMPACT_READING_VERSION, 0, 0]), /compact reading is 12 bytes/],
    [Buffer.from([2, ...Buffer.alloc(11)]), /JSON object or a compact reading/]
  ]
  for (const [payload, reason] of bad)
    assert.throws(
      () => decodeReading(payload),
      (error: Error) => error instanceof ContractError && reason.test(error.message),
      payload.toString()
    )
})
