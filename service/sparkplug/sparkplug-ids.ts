import type { DeviceSummary } from '../api/api-types.js'

/**
 * How Sparkplug devices are named in the service: the site is `{group}/{edge node}`, so the device id is
 * `{group}/{edge node}/{device}` and an edge node's status (NBIRTH, NDEATH) covers its devices in the registry.
 */

export const SPARKPLUG_SOURCE = 'sparkplug'

export function sparkplugSite(group: string, edgeNode: string): string {
  return `${group}/${edgeNode}`
}

/** The group and edge node of a Sparkplug device's site; undefined for devices of other sources. */
export function sparkplugOrigin(site: string, source: string): { group: string; edgeNode: string } | undefined {
  if (source !== SPARKPLUG_SOURCE) return undefined
  const slash = site.indexOf('/')
  return slash < 0 ? undefined : { group: site.slice(0, slash), edgeNode: site.slice(slash + 1) }
}

/** A Sparkplug device's group and edge node, as its summary's `sparkplug` field; nothing for other devices. */
export function originOf(site: string, source: string): Pick<DeviceSummary, 'sparkplug'> {
  const sparkplug = sparkplugOrigin(site, source)
  return sparkplug === undefined ? {} : { sparkplug }
}
