import { join } from 'node:path'
import { makeSensor, type SensorSearch, sensorId } from './sensor.js'
import { listSysfsDir, readMillidegrees, readOptionalSysfsFile } from './sysfs-file.js'

/**
 * Linux thermal zones: /sys/class/thermal/thermal_zoneN/temp in millidegrees, `type` naming what
 * the zone measures (x86_pkg_temp, acpitz, cpu-thermal). Cooling devices live in the same class
 * directory (cooling_deviceN) and are not sensors.
 *
 * The id holds the zone number and its type: zone numbers follow the order the firmware lists the
 * zones in, which stays put on one machine; should it change, the type in the id keeps one zone's
 * history from continuing under another's name.
 */
export async function findThermalZones(sysfsRoot = '/'): Promise<SensorSearch> {
  const classDir = join(sysfsRoot, 'sys/class/thermal')
  const search: SensorSearch = { kind: 'thermal', pattern: join(classDir, 'thermal_zone*/temp'), sensors: [] }
  const entries = await listSysfsDir(classDir)
  if (entries === undefined) return { ...search, note: `no ${classDir} directory` }
  for (const zone of entries) {
    const number = /^thermal_zone(\d+)$/.exec(zone)?.[1]
    if (number === undefined) continue
    const dir = join(classDir, zone)
    if (!(await listSysfsDir(dir))?.includes('temp')) continue
    const type = (await readOptionalSysfsFile(join(dir, 'type'))) || undefined
    const source = join(dir, 'temp')
    search.sensors.push(
      makeSensor({
        id: sensorId('thermal', `zone${number}`, ...(type === undefined ? [] : [type])),
        label: `${type ?? 'thermal zone'} (${zone})`,
        kind: 'thermal',
        model: `thermal/${type ?? 'unknown'}`,
        source,
        readOnce: () => readMillidegrees(source)
      })
    )
  }
  return search
}
