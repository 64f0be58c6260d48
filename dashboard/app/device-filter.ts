import type { DeviceState, DeviceSummary } from '../../service/api/api-types.js'

export type DeviceSortKey = 'device' | 'site' | 'state' | 'temperature' | 'setpoint' | 'alerts' | 'lastSeen'

/** The overview's search box, site and state filters and sort order. */
export interface DeviceQuery {
  /** Matched case-insensitively against the id, the site and the model. */
  search: string
  /** '' for every site. */
  site: string
  /** '' for every state. */
  state: DeviceState | ''
  sort: DeviceSortKey
  descending: boolean
}

export const DEFAULT_DEVICE_QUERY: Readonly<DeviceQuery> = { search: '', site: '', state: '', sort: 'device', descending: false }

/** Worst first when sorting by state: what needs a look comes to the top. */
const STATE_RANK: Record<DeviceState, number> = { offline: 0, stale: 1, unknown: 2, online: 3 }

/** The devices the query lets through, in its order; missing values go last, ties in id order (site, then device). */
export function filterDevices(devices: readonly DeviceSummary[], query: DeviceQuery): DeviceSummary[] {
  const needle = query.search.trim().toLowerCase()
  const kept = devices.filter(
    (device) =>
      (query.site === '' || device.site === query.site) &&
      (query.state === '' || device.state === query.state) &&
      (needle === '' || [device.id, device.site, device.meta?.model ?? ''].some((text) => text.toLowerCase().includes(needle)))
  )
  const direction = query.descending ? -1 : 1
  return kept.sort((a, b) => {
    const left = sortValue(a, query.sort)
    const right = sortValue(b, query.sort)
    if (left === undefined && right !== undefined) return 1
    if (right === undefined && left !== undefined) return -1
    if (left !== undefined && right !== undefined && left !== right) return (left < right ? -1 : 1) * direction
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  })
}

function sortValue(device: DeviceSummary, key: DeviceSortKey): string | number | undefined {
  switch (key) {
    case 'device':
      return device.device
    case 'site':
      return device.site
    case 'state':
      return STATE_RANK[device.state]
    case 'temperature':
      return device.lastReading?.temperature
    case 'setpoint':
      return device.desiredSetpoint ?? device.lastReading?.setpoint
    case 'alerts':
      return device.openAlerts
    case 'lastSeen':
      return device.lastSeen
  }
}

/** Every site, sorted, for the site filter. */
export function sitesOf(devices: readonly DeviceSummary[]): string[] {
  return [...new Set(devices.map((device) => device.site))].sort()
}
