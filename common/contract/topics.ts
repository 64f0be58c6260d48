import type { CommandName } from './command.js'

/**
 * The device contract's topics: every topic a thermopost device uses, built and parsed here. The payloads
 * on them have a module each in this folder; devices encode with them and the service decodes with them,
 * so this folder is the one place that knows the wire.
 *
 *   thermopost/{site}/{device}/reading       QoS 1: ReadingMessage, JSON or compact (decodeReading tells them apart)
 *   thermopost/{site}/{device}/status        retained: `online` on connect, `offline` as the will and on a clean stop
 *   thermopost/{site}/{device}/meta          retained: MetaMessage
 *   thermopost/{site}/{device}/cmd/{name}    to the device: Command JSON, or the bare value (Home Assistant)
 *   thermopost/{site}/{device}/ack           from the device: AckMessage (or on an MQTT 5 command's Response Topic)
 *
 * Times are milliseconds since the epoch, temperatures degrees Celsius, intervals seconds.
 */

export const TOPIC_ROOT = 'thermopost'

export type DeviceTopicKind = 'reading' | 'status' | 'meta' | 'ack'

export function deviceTopic(site: string, device: string, kind: DeviceTopicKind): string {
  return `${TOPIC_ROOT}/${site}/${device}/${kind}`
}

export function commandTopic(site: string, device: string, name: CommandName): string {
  return `${TOPIC_ROOT}/${site}/${device}/cmd/${name}`
}

/** The filter a device subscribes to for all its commands. */
export function commandFilter(site: string, device: string): string {
  return `${TOPIC_ROOT}/${site}/${device}/cmd/+`
}

export type ParsedTopic =
  | { site: string; device: string; kind: DeviceTopicKind }
  | { site: string; device: string; kind: 'cmd'; command: string }

/** What a topic is about, or undefined when it is not a thermopost device topic. */
export function parseDeviceTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split('/')
  if (levels[0] !== TOPIC_ROOT) return undefined
  const [, site, device, kind, command] = levels
  if (site === undefined || device === undefined || !isName(site) || !isName(device)) return undefined
  if (levels.length === 4 && (kind === 'reading' || kind === 'status' || kind === 'meta' || kind === 'ack')) return { site, device, kind }
  if (levels.length === 5 && kind === 'cmd' && command !== undefined && command !== '') return { site, device, kind, command }
  return undefined
}

/** A site or device name: one non-empty topic level without wildcards. */
export function isName(name: string): boolean {
  return name !== '' && !name.includes('/') && !name.includes('+') && !name.includes('#') && !name.includes('\u0000')
}
