import assert from 'node:assert/strict'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { SensorReadError } from '../../../devices/sensors/sensor.js'
import { findThermalZones } from '../../../devices/sensors/thermal-zones.js'
import { fakeSysfs } from './fake-sysfs.js'

const zones = 'sys/devices/virtual/thermal'

test('thermal zones are read through the class symlinks, in zone order, cooling devices left out', async (t) => {
  const root = fakeSysfs(t, {
    files: {
      [`${zones}/thermal_zone0/type`]: 'acpitz',
      [`${zones}/thermal_zone0/temp`]: '27800',
      [`${zones}/thermal_zone2/type`]: 'x86_pkg_temp',
      [`${zones}/thermal_zone2/temp`]: '-1500',
      [`${zones}/thermal_zone10/type`]: 'iwlwifi_1',
      [`${zones}/thermal_zone10/temp`]: '41000',
      [`${zones}/cooling_device0/type`]: 'Processor',
      [`${zones}/cooling_device0/cur_state`]: '0'
    },
    links: Object.fromEntries(
      ['thermal_zone0', 'thermal_zone2', 'thermal_zone10', 'cooling_device0'].map((name) => [
        `sys/class/thermal/${name}`,
        `../../devices/virtual/thermal/${name}`
      ])
    )
  })
  const search = await findThermalZones(root)
  assert.equal(search.pattern, join(root, 'sys/class/thermal/thermal_zone*/temp'))
  assert.deepEqual(
    search.sensors.map((s) => [s.id, s.label, s.kind, s.model]),
    [
      ['thermal-zone0-acpitz', 'acpitz (thermal_zone0)', 'thermal', 'thermal/acpitz'],
      ['thermal-zone2-x86_pkg_temp', 'x86_pkg_temp (thermal_zone2)', 'thermal', 'thermal/x86_pkg_temp'],
      ['thermal-zone10-iwlwifi_1', 'iwlwifi_1 (thermal_zone10)', 'thermal', 'thermal/iwlwifi_1']
    ]
  )
  assert.deepEqual(await Promise.all(search.sensors.map((s) => s.read())), [27.8, -1.5, 41])
})

test('a zone whose temp cannot be read fails with the file and the reason, and is counted', async (t) => {
  const root = fakeSysfs(t, {
    files: { 'sys/class/thermal/thermal_zone0/type': 'cpu-thermal', 'sys/class/thermal/thermal_zone0/temp': '50000' }
  })
  const [zone] = (await findThermalZones(root)).sensors
  const temp = join(root, 'sys/class/thermal/thermal_zone0/temp')
  rmSync(temp)
  await assert.rejects(zone!.read(), (error: Error) => error instanceof SensorReadError && error.message === `cannot read ${temp}: ENOENT`)
  assert.equal(zone!.failures, 1)
})

test('a zone that answers something other than millidegrees is refused', async (t) => {
  const root = fakeSysfs(t, { files: { 'sys/class/thermal/thermal_zone0/temp': 'N/A' } })
  const [zone] = (await findThermalZones(root)).sensors
  assert.equal(zone!.id, 'thermal-zone0', 'without a type file the id is the zone alone')
  await assert.rejects(zone!.read(), /expected millidegrees, got 'N\/A'/)
})

test('no thermal class directory: nothing found, and the note says so', async (t) => {
  const root = fakeSysfs(t, {})
  const search = await findThermalZones(root)
  assert.deepEqual(search.sensors, [])
  assert.equal(search.note, `no ${join(root, 'sys/class/thermal')} directory`)
})
