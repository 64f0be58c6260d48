import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHomieAdapter } from '../../../service/adapters/homie.js'
import { assertStatusWords, assertUnrecognized, decode, RECEIVED_AT, readingsOf, statusOf } from './decode.js'

// Fixtures follow the Homie 4.0 convention: retained attributes ($datatype, $unit, $name) beside
// each property's value topic homie/{device}/{node}/{property}, and homie/{device}/$state.

function withAttributes(path: string, datatype: string, unit: string, name: string): ReturnType<typeof createHomieAdapter> {
  const adapter = createHomieAdapter()
  assert.equal(decode(adapter, `homie/${path}/$datatype`, datatype).kind, 'no-reading')
  assert.equal(decode(adapter, `homie/${path}/$unit`, unit).kind, 'no-reading')
  assert.equal(decode(adapter, `homie/${path}/$name`, name).kind, 'no-reading')
  return adapter
}

test('a float property in °C, timed on receipt', () => {
  const adapter = withAttributes('thermo-1/sensor/temperature', 'float', '°C', 'Room temperature')
  assert.deepEqual(readingsOf(decode(adapter, 'homie/thermo-1/sensor/temperature', '19.25')), [
    {
      deviceId: 'homie/thermo-1/sensor/temperature',
      site: 'homie',
      device: 'thermo-1/sensor/temperature',
      source: 'homie',
      time: RECEIVED_AT,
      temperature: 19.25
    }
  ])
})

test('a property in °F under another id is known by its unit and converted', () => {
  const adapter = withAttributes('greenhouse/climate/inside', 'integer', '°F', 'Inside')
  assert.equal(readingsOf(decode(adapter, 'homie/greenhouse/climate/inside', '-4'))[0].temperature, -20)
})

test('not temperatures: other units, other data types, unnamed properties without a unit', () => {
  const humidity = withAttributes('greenhouse/climate/humidity', 'float', '%', 'Temperature-compensated humidity')
  assert.equal(decode(humidity, 'homie/greenhouse/climate/humidity', '61.5').kind, 'no-reading')
  const text = withAttributes('greenhouse/climate/temperature', 'string', '', 'Temperature text')
  assert.equal(decode(text, 'homie/greenhouse/climate/temperature', 'warm').kind, 'no-reading')
  assert.equal(decode(createHomieAdapter(), 'homie/greenhouse/climate/co2', '840').kind, 'no-reading')
})

test('before its attributes arrive, a property named temperature is read in °C; its $name also counts', () => {
  assert.equal(readingsOf(decode(createHomieAdapter(), 'homie/thermo-2/sensor/temperature', '22'))[0].temperature, 22)
  const adapter = createHomieAdapter()
  decode(adapter, 'homie/thermo-2/sensor/t1/$name', 'Floor temperature')
  assert.equal(readingsOf(decode(adapter, 'homie/thermo-2/sensor/t1', '24.5'))[0].deviceId, 'homie/thermo-2/sensor/t1')
})

test('unreadable values are unrecognized', () => {
  const adapter = withAttributes('thermo-1/sensor/temperature', 'float', '°C', 'Room temperature')
  assertUnrecognized(decode(adapter, 'homie/thermo-1/sensor/temperature', 'NaN'), /float value is not a number/)
  assertUnrecognized(decode(adapter, 'homie/thermo-1/sensor/temperature', '21,5'), /not a number/)
})

test('$state is a status for the device, above its property ids', () => {
  const adapter = createHomieAdapter()
  assertStatusWords(
    adapter,
    'homie/thermo-1/$state',
    { online: 'ready', offline: 'lost', invalid: 'asleep', reason: /not a Homie state/ },
    { deviceId: 'homie/thermo-1', site: 'homie', device: 'thermo-1', source: 'homie' }
  )
  assert.equal(statusOf(decode(adapter, 'homie/thermo-1/$state', 'sleeping')).online, true)
  assert.equal(statusOf(decode(adapter, 'homie/thermo-1/$state', 'disconnected')).online, false)
})

test('node attributes and commands carry no reading; other formats are not claimed', () => {
  const adapter = createHomieAdapter()
  assert.equal(decode(adapter, 'homie/thermo-1/sensor/$properties', 'temperature,humidity').kind, 'no-reading')
  assert.equal(decode(adapter, 'homie/thermo-1/sensor/temperature/set', '21').kind, 'no-reading')
  assert.equal(decode(adapter, 'zigbee2mqtt/thermo/sensor/temperature', '21').kind, 'not-mine')
})
