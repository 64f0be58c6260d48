import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { LiveEvent } from '../../../service/api/api-types.js'
import { startThermostat, waitFor } from '../../devices/helpers/device-fixture.js'
import { RawDevice, serviceSetup } from '../core/service-fixture.js'

test('a thermostat is online while connected and offline after its clean stop, with meta and last reading', async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start()
  const events: LiveEvent[] = []
  service.live.subscribe((event) => events.push(event))

  const thermostat = startThermostat(t, { urls: [running.url] })
  await waitFor(() => service.devices.get('home/room-1')?.lastReading !== undefined, 'a reading')
  const online = service.devices.get('home/room-1')!
  assert.equal(online.state, 'online')
  assert.equal(online.source, 'thermopost')
  assert.equal(online.meta?.interval, 0.1)
  assert.equal(typeof online.lastSeen, 'number')

  await thermostat.stop()
  await waitFor(() => service.devices.get('home/room-1')?.state === 'offline', 'offline after the clean stop')
  await waitFor(() => events.some((e) => e.type === 'device' && e.device.state === 'offline'), 'the device event')
  assert.ok(events.some((e) => e.type === 'reading' && e.reading.deviceId === 'home/room-1'))
})

test('a device that dies is offline through its will', async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start()
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ temperature: 20 })
  await waitFor(() => service.devices.get('home/hall')?.state === 'online', 'online')
  device.kill()
  await waitFor(() => service.devices.get('home/hall')?.state === 'offline', 'offline from the will')
})

test('a device silent for 3 intervals is stale, and online again with its next reading', async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start({ defaultIntervalSeconds: 60 })
  const fast = await RawDevice.connect(t, running.url, 'home', 'fast')
  await fast.meta(0.1)
  const slow = await RawDevice.connect(t, running.url, 'home', 'slow')
  await fast.reading({ temperature: 20 })
  await slow.reading({ temperature: 20 })
  await waitFor(() => service.devices.get('home/fast')?.state === 'stale', 'stale after 3 × 0.1 s')
  const staleAt = Date.now()
  // Its interval comes from its meta; without one the default (60 s here) holds.
  assert.equal(service.devices.get('home/slow')?.state, 'online')
  assert.ok(staleAt - service.devices.get('home/fast')!.lastSeen! >= 300)

  await fast.reading({ temperature: 21 })
  await waitFor(() => service.devices.get('home/fast')?.state === 'online', 'online again')
  assert.equal(service.devices.get('home/fast')?.lastReading?.temperature, 21)
})

test('a restarted service lists the devices it knew, with their last reading, and the retained status sets their state', async (t) => {
  const { running, start } = await serviceSetup(t)
  const first = await start({ clientId: 'service-a' })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ time: 1_700_000_000_000, temperature: 18.25 })
  await waitFor(() => first.devices.get('home/hall')?.lastReading !== undefined, 'the reading')
  await first.close()

  const second = await start({ clientId: 'service-a' })
  assert.equal(second.devices.get('home/hall')?.lastReading?.temperature, 18.25)
  await waitFor(() => second.devices.get('home/hall')?.state === 'online', 'online from the retained status')
})

test("an adapter's status covers the sensors beneath it", async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start()
  const device = await RawDevice.connect(t, running.url, 'x', 'y')
  await device.client.publishAsync('tele/boiler/LWT', 'Online', { qos: 1, retain: true })
  await waitFor(() => service.devices.get('tasmota/boiler')?.state === 'online', 'the device from its LWT')
  await device.client.publishAsync(
    'tele/boiler/SENSOR',
    JSON.stringify({ 'DS18B20-1': { Temperature: 55 }, 'DS18B20-2': { Temperature: 40 }, TempUnit: 'C' }),
    { qos: 1 }
  )
  await waitFor(() => service.devices.get('tasmota/boiler/DS18B20-2') !== undefined, 'the sensors')
  assert.deepEqual(
    service.devices
      .list()
      .filter((d) => d.source === 'tasmota')
      .map((d) => [d.id, d.state]),
    [
      ['tasmota/boiler/DS18B20-1', 'online'],
      ['tasmota/boiler/DS18B20-2', 'online']
    ],
    'the placeholder gave way to its sensors'
  )
  await device.client.publishAsync('tele/boiler/LWT', 'Offline', { qos: 1, retain: true })
  await waitFor(() => service.devices.list().filter((d) => d.state === 'offline').length === 2, 'the sensors offline with their device')
})

test("ESPHome's {node}/status and Zigbee2MQTT's availability take their devices online and offline", async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start()
  const device = await RawDevice.connect(t, running.url, 'x', 'y')
  await device.client.publishAsync('garage/sensor/outside_temperature/state', '4.5', { qos: 1 })
  await device.client.publishAsync('zigbee2mqtt/bedroom_trv', JSON.stringify({ local_temperature: 19.5 }), { qos: 1 })
  const state = (id: string) => service.devices.get(id)?.state
  await waitFor(
    () => state('esphome/garage/outside_temperature') === 'online' && state('zigbee2mqtt/bedroom_trv') === 'online',
    'both read'
  )

  await device.client.publishAsync('garage/status', 'offline', { qos: 1, retain: true })
  await device.client.publishAsync('zigbee2mqtt/bedroom_trv/availability', JSON.stringify({ state: 'offline' }), { qos: 1, retain: true })
  await waitFor(
    () => state('esphome/garage/outside_temperature') === 'offline' && state('zigbee2mqtt/bedroom_trv') === 'offline',
    'both offline from their availability'
  )
  await device.client.publishAsync('garage/status', 'online', { qos: 1, retain: true })
  await device.client.publishAsync('zigbee2mqtt/bedroom_trv/availability', 'online', { qos: 1, retain: true })
  await waitFor(
    () => state('esphome/garage/outside_temperature') === 'online' && state('zigbee2mqtt/bedroom_trv') === 'online',
    'both online again (Zigbee2MQTT in its legacy plain form)'
  )
})
