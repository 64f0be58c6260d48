/**
 * Topic names and filters: validation and the `$share/{group}/{filter}` form (spec 4.7, 4.8.2).
 * A topic is matched level by level, so everything here works on the split form.
 */

const SHARE_PREFIX = '$share/'

export interface ParsedFilter {
  /** The filter proper, without the share prefix. */
  filter: string
  /** The share group, for `$share/{group}/{filter}`. */
  group: string | undefined
}

/** Why a topic name cannot be published to, or undefined when it can. */
export function topicNameProblem(topic: string, maxLevels: number, maxLength: number): string | undefined {
  if (topic.length === 0) return 'empty topic name' // [MQTT-4.7.3-1]
  if (topic.length > maxLength && Buffer.byteLength(topic) > maxLength) return `topic longer than ${maxLength} bytes`
  if (topic.includes('+') || topic.includes('#')) return 'wildcard in a topic name' // [MQTT-3.3.2-2]
  if (topic.includes('\u0000')) return 'NUL character in a topic name' // [MQTT-4.7.3-2]
  if (countLevels(topic) > maxLevels) return `topic deeper than ${maxLevels} levels`
  return undefined
}

/** Parses a SUBSCRIBE / UNSUBSCRIBE filter; returns a reason string instead when it is invalid. */
export function parseFilter(raw: string, maxLevels: number, maxLength: number): ParsedFilter | string {
  if (raw.length > maxLength && Buffer.byteLength(raw) > maxLength) return `filter longer than ${maxLength} bytes`
  let filter = raw
  let group: string | undefined
  if (raw.startsWith(SHARE_PREFIX)) {
    const slash = raw.indexOf('/', SHARE_PREFIX.length)
    if (slash < 0) return 'shared subscription without a filter' // [MQTT-4.8.2-2]
    group = raw.slice(SHARE_PREFIX.length, slash)
    filter = raw.slice(slash + 1)
    if (group.length === 0 || /[+#]/.test(group)) return 'invalid share name' // [MQTT-4.8.2-2]
  }
  if (filter.length === 0) return 'empty topic filter' // [MQTT-4.7.3-1]
  if (filter.includes('\u0000')) return 'NUL character in a topic filter'
  const levels = filter.split('/')
  if (levels.length > maxLevels) return `filter deeper than ${maxLevels} levels`
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return "'#' must be the last level on its own" // [MQTT-4.7.1-1] (3.1.1: [MQTT-4.7.1-2])
    if (level.includes('+') && level !== '+') return "'+' must occupy a whole level" // [MQTT-4.7.1-2] (3.1.1: [MQTT-4.7.1-3])
  }
  return { filter, group }
}

export function isSystemTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 36 /* $ */
}

function countLevels(topic: string): number {
  let levels = 1
  for (let i = 0; i < topic.length; i++) if (topic.charCodeAt(i) === 47 /* / */) levels++
  return levels
}
