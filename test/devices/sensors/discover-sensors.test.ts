import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { describeSearches, discoverSensors } from '../../../devices/sensors/discover-sensors.js'
import { fakeSysfs, oneOfEachKind } from './fake-sysfs.js'

test('discovery walks thermal zones, hwmon chips and 1-wire probes', async (t) => {
  const root = fakeSysfs(t, oneOfEachKind)
  const { sensors, searches } = await discoverSensors(root)
  assert.deepEqual(
    sensors.map((s) => [s.kind, s.id]),
    [
      ['thermal', 'thermal-zone0-x86_pkg_temp'],
      ['hwmon', 'hwmon-coretemp-coretemp.0-temp1'],
      ['w1', 'w1-28-0316a2795aff']
    ]
  )
  assert.deepEqual(await Promise.all(sensors.map((s) => s.read())), [52, 45, -1.25])
  assert.equal(
    describeSearches(searches),
    [
      `  ${join(root, 'sys/class/thermal/thermal_zone*/temp')}: 1 found`,
      `  ${join(root, 'sys/class/hwmon/hwmon*/temp*_input')}: 1 found`,
      `  ${join(root, 'sys/bus/w1/devices/28-*/w1_slave')}: 1 found`
    ].join('\n')
  )
})

test('an empty tree: no sensors, and the description says what was looked for and why nothing was there', async (t) => {
  const root = fakeSysfs(t, { files: { 'sys/class/thermal/cooling_device0/type': 'Processor' } })
  const { sensors, searches } = await discoverSensors(root)
  assert.deepEqual(sensors, [])
  assert.equal(
    describeSearches(searches),
    [
      `  ${join(root, 'sys/class/thermal/thermal_zone*/temp')}: none`,
      `  ${join(root, 'sys/class/hwmon/hwmon*/temp*_input')}: none (no ${join(root, 'sys/class/hwmon')} directory)`,
      `  ${join(root, 'sys/bus/w1/devices/28-*/w1_slave')}: none (no ${join(root, 'sys/bus/w1/devices')} directory: are the w1-gpio and w1_therm modules loaded?)`
    ].join('\n')
  )
})

/** The real files matching `dir/<entry matching name>/<file>`, found without the readers' code. */
function realFiles(dir: string, name: RegExp, file: RegExp): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((entry) => name.test(entry))
    .flatMap((entry) =>
      readdirSync(join(dir, entry))
        .filter((f) => file.test(f))
        .map((f) => join(dir, entry, f))
    )
}

// This machine's own /sys: discovery must report exactly the sensor files that exist (none at all in a
// container without them), and every thermal zone that can be read must agree with a direct read.
test('on the real root, discovery finds exactly the sensor files this machine has', async () => {
  const { sensors } = await discoverSensors('/')
  const sources = (kind: string): string[] =>
    sensors
      .filter((s) => s.kind === kind)
      .map((s) => s.source)
      .sort()
  assert.deepEqual(sources('thermal'), realFiles('/sys/class/thermal', /^thermal_zone\d+$/, /^temp$/).sort())
  assert.deepEqual(sources('hwmon'), realFiles('/sys/class/hwmon', /^hwmon\d+$/, /^temp\d+_input$/).sort())
  assert.deepEqual(sources('w1'), realFiles('/sys/bus/w1/devices', /^28-/, /^w1_slave$/).sort())
  for (const zone of sensors.filter((s) => s.kind === 'thermal')) {
    let direct: number
    try {
      direct = Number(readFileSync(zone.source, 'utf8')) / 1000
    } catch {
      continue // a zone whose driver has no data now (a wifi card that is down) is not readable here
    }
    assert.ok(Math.abs((await zone.read()) - direct) < 5, `${zone.source}: ${direct} °C read directly`)
  }
})
