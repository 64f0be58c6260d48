import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createEsphomeAdapter } from '../../../service/adapters/esphome.js'
import { assertStatusWords, assertUnrecognized, decode, RECEIVED_AT, readingsOf } from './decode.js'

// Fixtures follow ESPHome's MQTT component: plain-text states on {node}/sensor/{object_id}/state and
// Home Assistant discovery configs, with ESPHome's abbreviated keys, on
// homeassistant/sensor/{node}/{object_id}/config.

function discoveryConfig(node: string, objectId: string, deviceClass: string, unit: string): object {
  return {
    dev_cla: deviceClass,
    unit_of_meas: unit,
    stat_cla: 'measurement',
    name: objectId.replace(/_/g, ' '),
    stat_t: `${node}/sensor/${objectId}/state`,
    avty_t: `${node}/status`,
    uniq_id: `ESPsensor${objectId}`,
    dev: { ids: '24a160c4d2e8', name: node, sw: 'esphome v2024.12.0', mdl: 'esp32dev', mf: 'espressif' }
  }
}

test('without discovery, a sensor named temperature is read in °C, timed on receipt', () => {
  const result = decode(createEsphomeAdapter(), 'livingroom/sensor/living_room_temperature/state', '21.6')
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: 'esphome/livingroom/living_room_temperature',
      site: 'esphome',
      device: 'livingroom/living_room_temperature',
      source: 'esphome',
      time: RECEIVED_AT,
      temperature: 21.6
    }
  ])
  assert.equal(readingsOf(decode(createEsphomeAdapter(), 'shed/sensor/shed-temp/state', '-7.25'))[0].temperature, -7.25)
  assert.equal(decode(createEsphomeAdapter(), 'livingroom/sensor/wifi_signal/state', '-61').kind, 'no-reading')
})

test('a discovery config decides: its unit is converted and its device class is believed over the name', () => {
  const adapter = createEsphomeAdapter()
  assert.equal(
    decode(adapter, 'homeassistant/sensor/garage/outside/config', discoveryConfig('garage', 'outside', 'temperature', '°F')).kind,
    'no-reading'
  )
  assert.equal(readingsOf(decode(adapter, 'garage/sensor/outside/state', '14'))[0].temperature, -10)
  decode(adapter, 'homeassistant/sensor/garage/temperature_rh/config', discoveryConfig('garage', 'temperature_rh', 'humidity', '%'))
  assert.equal(decode(adapter, 'garage/sensor/temperature_rh/state', '55').kind, 'no-reading')
})

test('the ~ base topic, long keys, and a config removed by an empty payload', () => {
  const adapter = createEsphomeAdapter()
  decode(adapter, 'homeassistant/sensor/cellar/probe/config', {
    '~': 'cellar/sensor/probe',
    state_topic: '~/state',
    device_class: 'temperature',
    unit_of_measurement: 'K'
  })
  assert.equal(readingsOf(decode(adapter, 'cellar/sensor/probe/state', '285.15'))[0].temperature, 12)
  decode(adapter, 'homeassistant/sensor/cellar/probe/config', '')
  // Without its config, 'probe' does not say temperature.
  assert.equal(decode(adapter, 'cellar/sensor/probe/state', '285.15').kind, 'no-reading')
})

test("'nan', empty and text states of a thermometer are unrecognized; a broken config too", () => {
  const adapter = createEsphomeAdapter()
  assertUnrecognized(decode(adapter, 'attic/sensor/attic_temperature/state', 'nan'), /not a number/)
  assertUnrecognized(decode(adapter, 'attic/sensor/attic_temperature/state', ''), /not a number/)
  assertUnrecognized(decode(adapter, 'attic/sensor/attic_temperature/state', '0x15'), /not a number/)
  assertUnrecognized(
    decode(adapter, 'homeassistant/sensor/attic/attic_temperature/config', '{"dev_cla":'),
    /discovery config: payload is not JSON/
  )
  decode(adapter, 'homeassistant/sensor/attic/odd/config', discoveryConfig('attic', 'odd', 'temperature', 'Rø'))
  assertUnrecognized(decode(adapter, 'attic/sensor/odd/state', '20'), /unit "Rø"/)
})

test('other topics are not claimed', () => {
  const adapter = createEsphomeAdapter()
  assert.equal(decode(adapter, 'livingroom/switch/relay/state', 'ON').kind, 'not-mine')
  assert.equal(decode(adapter, 'homeassistant/binary_sensor/livingroom/door/config', {}).kind, 'not-mine')
})

test("a node's online / offline on {node}/status is the status of the node and its sensors; Home Assistant's own is not a node's", () => {
  const adapter = createEsphomeAdapter()
  assert.ok(
    adapter.subscriptions.some(({ filter, shareable }) => filter === '+/status' && !shareable),
    'retained: a plain subscription'
  )
  assertStatusWords(
    adapter,
    'livingroom/status',
    { online: 'online', offline: 'offline', invalid: 'rebooting', reason: /status "rebooting" is neither online nor offline/ },
    { deviceId: 'esphome/livingroom', site: 'esphome', device: 'livingroom', source: 'esphome' }
  )
  assert.equal(decode(adapter, 'homeassistant/status', 'online').kind, 'not-mine')
})
