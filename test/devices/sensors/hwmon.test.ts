import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { findHwmonSensors } from '../../../devices/sensors/hwmon.js'
import { fakeSysfs } from './fake-sysfs.js'

const coretemp = 'sys/devices/platform/coretemp.0/hwmon/hwmon3'
const nvme = 'sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/hwmon1'
const acpitz = 'sys/devices/virtual/thermal/thermal_zone0/hwmon0'

test('hwmon chips behind class symlinks: labelled and unlabelled channels, ids from chip and device', async (t) => {
  const root = fakeSysfs(t, {
    files: {
      [`${coretemp}/name`]: 'coretemp',
      [`${coretemp}/temp1_input`]: '45000',
      [`${coretemp}/temp1_label`]: 'Package id 0',
      [`${coretemp}/temp1_crit`]: '100000',
      [`${coretemp}/temp2_input`]: '43000',
      [`${coretemp}/temp2_label`]: 'Core 0',
      [`${nvme}/name`]: 'nvme',
      [`${nvme}/temp1_input`]: '38850',
      [`${nvme}/temp1_label`]: 'Composite',
      [`${acpitz}/name`]: 'acpitz',
      [`${acpitz}/temp1_input`]: '27800',
      // A fan chip: no temperature channel, nothing to find.
      'sys/devices/platform/nct6775.656/hwmon/hwmon4/name': 'nct6775',
      'sys/devices/platform/nct6775.656/hwmon/hwmon4/fan1_input': '1200'
    },
    links: {
      'sys/class/hwmon/hwmon0': '../../devices/virtual/thermal/thermal_zone0/hwmon0',
      'sys/class/hwmon/hwmon1': `../../${nvme.slice('sys/'.length)}`,
      'sys/class/hwmon/hwmon3': '../../devices/platform/coretemp.0/hwmon/hwmon3',
      'sys/class/hwmon/hwmon4': '../../devices/platform/nct6775.656/hwmon/hwmon4',
      [`${coretemp}/device`]: '../../../coretemp.0',
      [`${nvme}/device`]: '../../nvme0'
    }
  })
  const search = await findHwmonSensors(root)
  assert.equal(search.pattern, join(root, 'sys/class/hwmon/hwmon*/temp*_input'))
  assert.deepEqual(
    search.sensors.map((s) => [s.id, s.label, s.kind, s.model, s.source]),
    [
      // No `device` link (a virtual chip): the hwmonN name stands in.
      ['hwmon-acpitz-hwmon0-temp1', 'acpitz temp1', 'hwmon', 'hwmon/acpitz', join(root, 'sys/class/hwmon/hwmon0/temp1_input')],
      ['hwmon-nvme-nvme0-temp1', 'nvme Composite', 'hwmon', 'hwmon/nvme', join(root, 'sys/class/hwmon/hwmon1/temp1_input')],
      [
        'hwmon-coretemp-coretemp.0-temp1',
        'coretemp Package id 0',
        'hwmon',
        'hwmon/coretemp',
        join(root, 'sys/class/hwmon/hwmon3/temp1_input')
      ],
      ['hwmon-coretemp-coretemp.0-temp2', 'coretemp Core 0', 'hwmon', 'hwmon/coretemp', join(root, 'sys/class/hwmon/hwmon3/temp2_input')]
    ]
  )
  assert.deepEqual(await Promise.all(search.sensors.map((s) => s.read())), [27.8, 38.85, 45, 43])
})

test('a chip without a name file is named after its hwmon directory', async (t) => {
  const root = fakeSysfs(t, { files: { 'sys/class/hwmon/hwmon7/temp3_input': '-5125' } })
  const [sensor] = (await findHwmonSensors(root)).sensors
  assert.deepEqual([sensor!.id, sensor!.label, await sensor!.read()], ['hwmon-hwmon7-hwmon7-temp3', 'hwmon7 temp3', -5.125])
})

test('no hwmon class directory: nothing found, and the note says so', async (t) => {
  const root = fakeSysfs(t, { files: { 'sys/class/thermal/thermal_zone0/temp': '1000' } })
  const search = await findHwmonSensors(root)
  assert.deepEqual([search.sensors.length, search.note], [0, `no ${join(root, 'sys/class/hwmon')} directory`])
})
