import assert from 'node:assert/strict'
import { test } from 'node:test'
import { adapterNames, createAdapters, UnknownAdapterError } from '../../../service/adapters/index.js'

test('all adapters by default, in dispatch order', () => {
  assert.deepEqual(
    createAdapters().map((adapter) => adapter.name),
    ['thermopost', 'tasmota', 'shelly', 'zigbee2mqtt', 'esphome', 'homie']
  )
  assert.deepEqual(adapterNames, ['thermopost', 'tasmota', 'shelly', 'zigbee2mqtt', 'esphome', 'homie'])
})

test('the named ones only, each with its options', () => {
  const adapters = createAdapters(['homie', 'shelly'], { shelly: { prefixes: ['boiler'] }, homie: { baseTopic: 'devices' } })
  assert.deepEqual(
    adapters.map((adapter) => adapter.name),
    ['shelly', 'homie']
  )
  assert.equal(adapters[0].subscriptions[0].filter, 'boiler/status/+')
  assert.equal(adapters[1].subscriptions[0].filter, 'devices/+/+/+')
})

test('an unknown name is an error that lists the known ones', () => {
  assert.throws(
    () => createAdapters(['tasmota', 'sonoff', 'zwave']),
    (error: unknown) => {
      assert.ok(error instanceof UnknownAdapterError)
      assert.deepEqual(error.unknown, ['sonoff', 'zwave'])
      assert.equal(
        error.message,
        "unknown adapters 'sonoff', 'zwave'; the adapters are thermopost, tasmota, shelly, zigbee2mqtt, esphome, homie"
      )
      return true
    }
  )
})

test('each call makes fresh adapters: learned metadata is not shared', () => {
  const [first] = createAdapters(['esphome'])
  const [second] = createAdapters(['esphome'])
  first.decode('homeassistant/sensor/n/probe/config', Buffer.from('{"dev_cla":"temperature","stat_t":"n/sensor/probe/state"}'), 0)
  assert.equal(first.decode('n/sensor/probe/state', Buffer.from('20'), 0).kind, 'readings')
  assert.equal(second.decode('n/sensor/probe/state', Buffer.from('20'), 0).kind, 'no-reading')
})
