import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeReading } from '../../../common/contract/reading-codec.js'
import { createThermopostAdapter } from '../../../service/adapters/thermopost.js'
import { assertStatusWords, assertUnrecognized, decode, RECEIVED_AT, readingsOf } from './decode.js'

// thermopost's own devices, encoded with the device contract the devices use.

const measured = Date.UTC(2024, 0, 5, 10, 59, 58, 250)

test('a JSON reading keeps its own site, device and time', () => {
  const result = createThermopostAdapter().decode(
    'thermopost/home/living-room/reading',
    encodeReading({ time: measured, temperature: 21.25, setpoint: 21.5, heating: true, mode: 'heat' }, 'json'),
    RECEIVED_AT
  )
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: 'home/living-room',
      site: 'home',
      device: 'living-room',
      source: 'thermopost',
      time: measured,
      temperature: 21.25,
      setpoint: 21.5,
      heating: true
    }
  ])
})

test('a compact reading decodes to the same, negative temperatures included', () => {
  const result = createThermopostAdapter().decode(
    'thermopost/farm/cold-store/reading',
    encodeReading({ time: measured, temperature: -18.5 }, 'compact'),
    RECEIVED_AT
  )
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: 'farm/cold-store',
      site: 'farm',
      device: 'cold-store',
      source: 'thermopost',
      time: measured,
      temperature: -18.5
    }
  ])
})

test("payloads outside the contract are unrecognized with the contract's reason", () => {
  const adapter = createThermopostAdapter()
  assertUnrecognized(decode(adapter, 'thermopost/home/a/reading', '{"time":'), /not valid JSON/)
  assertUnrecognized(decode(adapter, 'thermopost/home/a/reading', { time: measured, temperature: 'NaN' }), /temperature must be a number/)
  assertUnrecognized(decode(adapter, 'thermopost/home/a/reading', { temperature: 20 }), /time/)
  assertUnrecognized(decode(adapter, 'thermopost/home/a/reading', '21.5'), /JSON object or a compact reading/)
  assertUnrecognized(adapter.decode('thermopost/home/a/reading', Buffer.from([1, 2, 3]), RECEIVED_AT), /./)
  assertUnrecognized(decode(adapter, 'thermopost/home/reading', '{}'), /not a thermopost device topic/)
})

test('status is online / offline; meta and commands carry no reading; other roots are not claimed', () => {
  const adapter = createThermopostAdapter()
  assertStatusWords(
    adapter,
    'thermopost/home/a/status',
    { online: 'online', offline: 'offline', invalid: 'sleepy', reason: /neither online nor offline/ },
    { deviceId: 'home/a', site: 'home', device: 'a', source: 'thermopost' }
  )
  assert.equal(decode(adapter, 'thermopost/home/a/meta', { model: 'sim', firmware: '1', unit: '°C', interval: 10 }).kind, 'no-reading')
  assert.equal(decode(adapter, 'thermopost/home/a/cmd/setpoint', '21').kind, 'no-reading')
  assert.equal(decode(adapter, 'tele/a/SENSOR', '{}').kind, 'not-mine')
})
