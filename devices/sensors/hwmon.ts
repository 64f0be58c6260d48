import { join } from 'node:path'
import { makeSensor, type SensorSearch, sensorId } from './sensor.js'
import { linkedName, listSysfsDir, readMillidegrees, readOptionalSysfsFile } from './sysfs-file.js'

/**
 * hwmon chips: /sys/class/hwmon/hwmonN/tempM_input in millidegrees, `tempM_label` when the driver
 * names the channel ('Package id 0', 'Composite'), `name` for the chip (coretemp, nvme, k10temp).
 * Each hwmonN is a symlink into /sys/devices, and listing follows it.
 *
 * hwmonN numbers follow driver probe order and can change between boots, so the id is built the way
 * lm-sensors names chips: the chip name and the device it sits on (the `device` link's target:
 * coretemp.0, nvme0), then the channel. Only a chip without a `device` link falls back to hwmonN.
 */
export async function findHwmonSensors(sysfsRoot = '/'): Promise<SensorSearch> {
  const classDir = join(sysfsRoot, 'sys/class/hwmon')
  const search: SensorSearch = { kind: 'hwmon', pattern: join(classDir, 'hwmon*/temp*_input'), sensors: [] }
  const chips = await listSysfsDir(classDir)
  if (chips === undefined) return { ...search, note: `no ${classDir} directory` }
  for (const chip of chips) {
    if (!/^hwmon\d+$/.test(chip)) continue
    const dir = join(classDir, chip)
    const files = (await listSysfsDir(dir)) ?? []
    const name = (await readOptionalSysfsFile(join(dir, 'name'))) || chip
    const device = (await linkedName(join(dir, 'device'))) ?? chip
    for (const file of files) {
      const channel = /^(temp\d+)_input$/.exec(file)?.[1]
      if (channel === undefined) continue
      const label = (await readOptionalSysfsFile(join(dir, `${channel}_label`))) || channel
      const source = join(dir, file)
      search.sensors.push(
        makeSensor({
          id: sensorId('hwmon', name, device, channel),
          label: `${name} ${label}`,
          kind: 'hwmon',
          model: `hwmon/${name}`,
          source,
          readOnce: () => readMillidegrees(source)
        })
      )
    }
  }
  return search
}
