import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_DEVICE_QUERY, filterDevices, sitesOf } from '../../dashboard/app/device-filter.js'
import type { DeviceState, DeviceSummary } from '../../service/api/api-types.js'

function device(id: string, state: DeviceState, temperature?: number, extra: Partial<DeviceSummary> = {}): DeviceSummary {
  const [site, name] = id.split('/')
  return {
    id,
    site,
    device: name,
    source: 'thermopost',
    state,
    openAlerts: 0,
    ...(temperature === undefined ? {} : { lastReading: { deviceId: id, site, device: name, source: 'thermopost', time: 1, temperature } }),
    ...extra
  }
}

const devices = [
  device('home/kitchen', 'online', 21.5, { meta: { model: 'TP-100', firmware: '1', unit: '°C', interval: 10 } }),
  device('home/attic', 'offline', 14),
  device('office/lab', 'stale', 25, { openAlerts: 2 }),
  device('office/hall', 'online')
]

const ids = (list: DeviceSummary[]): string[] => list.map((each) => each.id)

test('search matches id, site and model in any case; site and state filter', () => {
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, search: 'KIT' })), ['home/kitchen'])
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, search: 'tp-1' })), ['home/kitchen'])
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, site: 'office' })), ['office/hall', 'office/lab'])
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, state: 'online' })), ['office/hall', 'home/kitchen'])
})

test('by default devices are sorted by name across sites', () => {
  assert.deepEqual(ids(filterDevices(devices, DEFAULT_DEVICE_QUERY)), ['home/attic', 'office/hall', 'home/kitchen', 'office/lab'])
})

test('sorting by temperature puts devices without a reading last, in either direction', () => {
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, sort: 'temperature' })), [
    'home/attic',
    'home/kitchen',
    'office/lab',
    'office/hall'
  ])
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, sort: 'temperature', descending: true })), [
    'office/lab',
    'home/kitchen',
    'home/attic',
    'office/hall'
  ])
})

test('sorting by state puts the worst first; ties keep id order', () => {
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, sort: 'state' })), [
    'home/attic',
    'office/lab',
    'home/kitchen',
    'office/hall'
  ])
  assert.deepEqual(ids(filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, sort: 'alerts', descending: true }))[0], 'office/lab')
})

test('the site list is each site once, sorted, and filtering does not reorder the input', () => {
  const before = ids(devices)
  filterDevices(devices, { ...DEFAULT_DEVICE_QUERY, sort: 'temperature' })
  assert.deepEqual(ids(devices), before)
  assert.deepEqual(sitesOf(devices), ['home', 'office'])
})
