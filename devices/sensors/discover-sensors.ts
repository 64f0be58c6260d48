import { findHwmonSensors } from './hwmon.js'
import type { Sensor, SensorSearch } from './sensor.js'
import { findThermalZones } from './thermal-zones.js'
import { findW1Probes } from './w1-therm.js'

/** Every temperature sensor under a sysfs root, and what each reader looked for. */
export interface Discovery {
  sensors: Sensor[]
  searches: SensorSearch[]
}

/**
 * Walks thermal zones, hwmon chips and 1-wire probes under `sysfsRoot` ('/' for this machine; another
 * tree for tests). A sensor seen by two readers (a zone that is also an hwmon chip) is kept under both
 * ids: they are different files, and dropping one would need guessing which is which.
 */
export async function discoverSensors(sysfsRoot = '/'): Promise<Discovery> {
  const searches = await Promise.all([findThermalZones(sysfsRoot), findHwmonSensors(sysfsRoot), findW1Probes(sysfsRoot)])
  return { sensors: searches.flatMap((search) => search.sensors), searches }
}

/** Lines saying what was looked for and how much was found, e.g. for 'no temperature sensors found'. */
export function describeSearches(searches: SensorSearch[]): string {
  return searches
    .map((search) => {
      const found = search.sensors.length === 0 ? 'none' : `${search.sensors.length} found`
      return `  ${search.pattern}: ${found}${search.note === undefined ? '' : ` (${search.note})`}`
    })
    .join('\n')
}
