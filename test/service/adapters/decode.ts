import assert from 'node:assert/strict'
import type { Adapter, AdapterResult, DeviceStatus } from '../../../service/adapters/adapter.js'
import type { Reading } from '../../../service/reading.js'

/** The receive time every decode in the adapter tests is given. */
export const RECEIVED_AT = Date.UTC(2024, 0, 5, 11, 0, 30)

/** Decodes a fixture: objects are sent as JSON, strings as they are. */
export function decode(adapter: Adapter, topic: string, payload: string | object): AdapterResult {
  const bytes = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload))
  return adapter.decode(topic, bytes, RECEIVED_AT)
}

export function readingsOf(result: AdapterResult): Reading[] {
  assert.equal(result.kind, 'readings', `expected readings, got ${JSON.stringify(result)}`)
  return (result as { readings: Reading[] }).readings
}

export function statusOf(result: AdapterResult): DeviceStatus {
  assert.equal(result.kind, 'status', `expected a status, got ${JSON.stringify(result)}`)
  return (result as { status: DeviceStatus }).status
}

/** Asserts an `unrecognized` result whose reason matches. */
export function assertUnrecognized(result: AdapterResult, reason: RegExp): void {
  assert.equal(result.kind, 'unrecognized', `expected unrecognized, got ${JSON.stringify(result)}`)
  assert.match((result as { reason: string }).reason, reason)
}

/**
 * Asserts a two-word status topic: `offline` gives the whole expected status (offline, timed on
 * receipt), `online` an online one, and `invalid` is unrecognized with a reason matching `reason`.
 */
export function assertStatusWords(
  adapter: Adapter,
  topic: string,
  words: { online: string; offline: string; invalid: string; reason: RegExp },
  expected: Pick<DeviceStatus, 'deviceId' | 'site' | 'device' | 'source'>
): void {
  assert.deepEqual(statusOf(decode(adapter, topic, words.offline)), { ...expected, online: false, state: words.offline, time: RECEIVED_AT })
  assert.equal(statusOf(decode(adapter, topic, words.online)).online, true)
  assertUnrecognized(decode(adapter, topic, words.invalid), words.reason)
}
