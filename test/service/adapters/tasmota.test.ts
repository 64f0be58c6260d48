import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createTasmotaAdapter } from '../../../service/adapters/tasmota.js'
import { assertStatusWords, assertUnrecognized, decode, RECEIVED_AT, readingsOf } from './decode.js'

// Fixtures follow Tasmota's tele/%topic%/SENSOR telemetry as its sensor docs show it.

test('one DS18B20 becomes tasmota/{topic}, timed on receipt because Time has no zone', () => {
  const result = decode(createTasmotaAdapter(), 'tele/kitchen/SENSOR', {
    Time: '2024-01-05T12:00:00',
    DS18B20: { Id: '01144A0CB2AA', Temperature: 21.3 },
    TempUnit: 'C'
  })
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: 'tasmota/kitchen',
      site: 'tasmota',
      device: 'kitchen',
      source: 'tasmota',
      time: RECEIVED_AT,
      temperature: 21.3
    }
  ])
})

test('several probes become one device each beneath the topic, negative temperatures included', () => {
  const result = decode(createTasmotaAdapter(), 'tele/boiler/SENSOR', {
    Time: '2024-01-05T12:00:00',
    'DS18B20-1': { Id: '3C01D607A1B2', Temperature: 61.5 },
    'DS18B20-2': { Id: '3C01D607C3D4', Temperature: -5.2 },
    TempUnit: 'C'
  })
  assert.deepEqual(
    readingsOf(result).map((r) => [r.deviceId, r.temperature]),
    [
      ['tasmota/boiler/DS18B20-1', 61.5],
      ['tasmota/boiler/DS18B20-2', -5.2]
    ]
  )
})

test('an AM2301 in °F is converted, with its humidity', () => {
  const result = decode(createTasmotaAdapter(), 'tele/porch/SENSOR', {
    Time: '2024-01-05T12:00:00',
    AM2301: { Temperature: 70.5, Humidity: 48.2, DewPoint: 50.3 },
    TempUnit: 'F'
  })
  const [reading] = readingsOf(result)
  assert.deepEqual([reading.deviceId, reading.temperature, reading.humidity], ['tasmota/porch', 21.39, 48.2])
})

test('a Time with a zone offset (SetOption52) is the reading time', () => {
  const result = decode(createTasmotaAdapter(), 'tele/attic/SENSOR', {
    Time: '2024-01-05T12:00:00+01:00',
    BME280: { Temperature: 8.4, Humidity: 71.0, DewPoint: 3.4, Pressure: 1012.3 },
    PressureUnit: 'hPa',
    TempUnit: 'C'
  })
  assert.equal(readingsOf(result)[0].time, Date.UTC(2024, 0, 5, 11, 0, 0))
})

test("the ESP32's own chip temperature is not a room reading", () => {
  const adapter = createTasmotaAdapter()
  const chipOnly = decode(adapter, 'tele/plug/SENSOR', { Time: '2024-01-05T12:00:00', ESP32: { Temperature: 47.8 }, TempUnit: 'C' })
  assert.equal(chipOnly.kind, 'no-reading')
  const withSensor = decode(adapter, 'tele/bath/SENSOR', {
    Time: '2024-01-05T12:00:00',
    ESP32: { Temperature: 47.8 },
    SI7021: { Temperature: 23.1, Humidity: 62.4, DewPoint: 15.6 },
    TempUnit: 'C'
  })
  assert.deepEqual(
    readingsOf(withSensor).map((r) => [r.deviceId, r.temperature, r.humidity]),
    [['tasmota/bath', 23.1, 62.4]]
  )
})

test('a power plug without thermometers is understood and carries no reading', () => {
  const result = decode(createTasmotaAdapter(), 'tele/washer/SENSOR', {
    Time: '2024-01-05T12:00:00',
    ENERGY: { TotalStartTime: '2023-01-01T00:00:00', Total: 12.3, Power: 5, Voltage: 231 }
  })
  assert.equal(result.kind, 'no-reading')
})

test('broken payloads are unrecognized with their reason; a failed probe does not hide the others', () => {
  const adapter = createTasmotaAdapter()
  assertUnrecognized(decode(adapter, 'tele/kitchen/SENSOR', '{"Time":"2024-01-05T12:00:00","DS18B20":{"Temp'), /not JSON/)
  assertUnrecognized(decode(adapter, 'tele/kitchen/SENSOR', '[21.3]'), /not a JSON object/)
  assertUnrecognized(
    decode(adapter, 'tele/kitchen/SENSOR', { DS18B20: { Temperature: 'nan' }, TempUnit: 'C' }),
    /DS18B20\.Temperature is not a number/
  )
  assertUnrecognized(decode(adapter, 'tele/kitchen/SENSOR', { DS18B20: { Temperature: 21 }, TempUnit: 'K' }), /TempUnit "K"/)
  const partial = decode(adapter, 'tele/boiler/SENSOR', {
    'DS18B20-1': { Temperature: null },
    'DS18B20-2': { Temperature: 40.25 },
    TempUnit: 'C'
  })
  assert.deepEqual(
    readingsOf(partial).map((r) => [r.deviceId, r.temperature]),
    [['tasmota/boiler/DS18B20-2', 40.25]]
  )
})

test('the retained LWT is a status for the device', () => {
  const adapter = createTasmotaAdapter()
  assertStatusWords(
    adapter,
    'tele/kitchen/LWT',
    { online: 'Online', offline: 'Offline', invalid: 'maybe', reason: /neither Online nor Offline/ },
    { deviceId: 'tasmota/kitchen', site: 'tasmota', device: 'kitchen', source: 'tasmota' }
  )
})

test('other Tasmota topics and other formats are not claimed', () => {
  const adapter = createTasmotaAdapter()
  assert.equal(decode(adapter, 'tele/kitchen/STATE', { Time: '2024-01-05T12:00:00', Uptime: '0T01:00:00' }).kind, 'not-mine')
  assert.equal(decode(adapter, 'stat/kitchen/RESULT', { POWER: 'ON' }).kind, 'not-mine')
  assert.equal(decode(adapter, 'tele/a/b/SENSOR', { DS18B20: { Temperature: 20 } }).kind, 'not-mine')
})
