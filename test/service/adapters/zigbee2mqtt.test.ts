import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createZigbee2mqttAdapter } from '../../../service/adapters/zigbee2mqtt.js'
import { assertStatusWords, assertUnrecognized, decode, RECEIVED_AT, readingsOf, statusOf } from './decode.js'

// Fixtures follow Zigbee2MQTT's device state messages: one JSON object per device on
// zigbee2mqtt/{friendly_name}, with the exposes of that device.

test('a temperature and humidity sensor, its friendly name with slashes', () => {
  const result = decode(createZigbee2mqttAdapter(), 'zigbee2mqtt/ground floor/living room/sensor', {
    battery: 87,
    humidity: 52.31,
    linkquality: 120,
    temperature: 20.84,
    voltage: 2995
  })
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: 'zigbee2mqtt/ground floor/living room/sensor',
      site: 'zigbee2mqtt',
      device: 'ground floor/living room/sensor',
      source: 'zigbee2mqtt',
      time: RECEIVED_AT,
      temperature: 20.84,
      humidity: 52.31
    }
  ])
})

test('a TRV: local temperature, setpoint, running state and last_seen as the time', () => {
  const adapter = createZigbee2mqttAdapter()
  const heating = readingsOf(
    decode(adapter, 'zigbee2mqtt/bedroom_trv', {
      battery: 74,
      child_lock: 'UNLOCK',
      last_seen: '2024-01-05T12:00:05+01:00',
      linkquality: 96,
      local_temperature: 17.5,
      local_temperature_calibration: 0,
      occupied_heating_setpoint: 20,
      pi_heating_demand: 60,
      running_state: 'heat',
      system_mode: 'heat'
    })
  )[0]
  assert.deepEqual([heating.temperature, heating.setpoint, heating.heating, heating.time], [17.5, 20, true, Date.UTC(2024, 0, 5, 11, 0, 5)])
  const idle = readingsOf(
    decode(adapter, 'zigbee2mqtt/bathroom_trv', {
      current_heating_setpoint: 21.5,
      last_seen: 1704452400000,
      local_temperature: 21.8,
      running_state: 'idle',
      system_mode: 'auto'
    })
  )[0]
  assert.deepEqual([idle.setpoint, idle.heating, idle.time], [21.5, false, 1704452400000])
})

test('devices without a thermometer, the bridge and command subtopics carry no reading', () => {
  const adapter = createZigbee2mqttAdapter()
  assert.equal(decode(adapter, 'zigbee2mqtt/hall_lamp', { brightness: 254, state: 'ON', linkquality: 80 }).kind, 'no-reading')
  assert.equal(decode(adapter, 'zigbee2mqtt/bridge/state', { state: 'online' }).kind, 'no-reading')
  assert.equal(decode(adapter, 'zigbee2mqtt/bridge/logging', { level: 'info', message: 'MQTT publish' }).kind, 'no-reading')
  assert.equal(decode(adapter, 'zigbee2mqtt/bedroom_trv/set', { occupied_heating_setpoint: 21 }).kind, 'no-reading')
  assert.equal(decode(adapter, 'zigbee2mqtt/bedroom_trv/get', { local_temperature: '' }).kind, 'no-reading')
  assert.equal(decode(adapter, 'tele/kitchen/SENSOR', { temperature: 20 }).kind, 'not-mine')
})

test('availability, JSON or the legacy plain word, is the status of the device', () => {
  const adapter = createZigbee2mqttAdapter()
  const expected = { deviceId: 'zigbee2mqtt/bedroom_trv', site: 'zigbee2mqtt', device: 'bedroom_trv', source: 'zigbee2mqtt' }
  assert.deepEqual(statusOf(decode(adapter, 'zigbee2mqtt/bedroom_trv/availability', { state: 'offline' })), {
    ...expected,
    online: false,
    state: 'offline',
    time: RECEIVED_AT
  })
  assert.equal(statusOf(decode(adapter, 'zigbee2mqtt/bedroom_trv/availability', { state: 'online' })).online, true)
  assertStatusWords(
    adapter,
    'zigbee2mqtt/bedroom_trv/availability',
    { online: 'online', offline: 'offline', invalid: 'maybe', reason: /availability "maybe" is neither online nor offline/ },
    expected
  )
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/bedroom_trv/availability', { state: 'ON' }), /neither online nor offline/)
  assert.equal(statusOf(decode(adapter, 'zigbee2mqtt/floor1/hall/availability', { state: 'online' })).deviceId, 'zigbee2mqtt/floor1/hall')
})

test('attribute output: the temperature subtopic is read, other attributes are passed over', () => {
  const adapter = createZigbee2mqttAdapter()
  const [reading] = readingsOf(decode(adapter, 'zigbee2mqtt/cellar/temperature', '-1.5'))
  assert.deepEqual([reading.deviceId, reading.temperature], ['zigbee2mqtt/cellar', -1.5])
  assert.equal(decode(adapter, 'zigbee2mqtt/cellar/humidity', '88').kind, 'no-reading')
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/cellar/temperature', 'NaN'), /temperature is not a number/)
})

test('malformed states are unrecognized', () => {
  const adapter = createZigbee2mqttAdapter()
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/office', '{"temperature":21.'), /not JSON/)
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/office', { temperature: null, humidity: 40 }), /temperature is not a number/)
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/office', { temperature: '21.5' }), /temperature is not a number/)
  assertUnrecognized(decode(adapter, 'zigbee2mqtt/office_trv', { local_temperature: 'unknown' }), /local_temperature is not a number/)
})

test('a configured base topic', () => {
  const adapter = createZigbee2mqttAdapter({ baseTopic: 'z2m-upstairs' })
  assert.deepEqual(adapter.subscriptions, [
    { filter: 'z2m-upstairs/#', shareable: true },
    { filter: 'z2m-upstairs/+/availability', shareable: false }
  ])
  assert.equal(readingsOf(decode(adapter, 'z2m-upstairs/nursery', { temperature: 22.2 }))[0].deviceId, 'zigbee2mqtt/nursery')
  assert.equal(decode(adapter, 'zigbee2mqtt/nursery', { temperature: 22.2 }).kind, 'not-mine')
})
