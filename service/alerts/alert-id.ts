import { createHash } from 'node:crypto'

/** The namespace of alert ids, a UUID of our own: a name-based UUID is unique only within its namespace (RFC 9562 §5.5). */
const ALERT_NAMESPACE = Buffer.from('5b0b7a52e36e4c0e9d6f1f0c7a3e2d41', 'hex')

/**
 * An alert's id, from what it is about: its rule, its device and the episode, named by when its condition
 * began (the first breaching reading's time, or the last reading before a silence). Two alert leaders at once
 * (a split, a handover) that judge the same readings raise the same id, so their records are one alert on the
 * broker and on every instance. `repeat` counts earlier episodes of the rule and device that began at the
 * same time (readings timed to the second, a device clock set back). A name-based UUID (version 5, RFC 9562
 * §5.5), so the id keeps the shape of the random ones raised before.
 */
export function alertId(ruleId: string, deviceId: string, episodeStart: number, repeat = 0): string {
  const name = `${ruleId}\n${deviceId}\n${episodeStart}${repeat === 0 ? '' : `\n${repeat}`}`
  const hash = createHash('sha1').update(ALERT_NAMESPACE).update(name).digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
