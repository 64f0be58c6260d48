/**
 * Whether a topic name matches a topic filter, for clients that sort the messages of their own few
 * subscriptions (the service's adapters). The broker matches against all its subscriptions at once with
 * its own tree; this is the plain rule, one filter at a time.
 *   `+` matches exactly one level, `#` (last level only) the rest, including none: `a/#` matches `a` [MQTT-4.7.1-2].
 *   A topic starting with `$` is not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(topic: string, filter: string): boolean {
  const topicLevels = topic.split('/')
  const filterLevels = filter.split('/')
  if (topic.startsWith('$') && (filterLevels[0] === '+' || filterLevels[0] === '#')) return false
  for (const [index, level] of filterLevels.entries()) {
    if (level === '#') return true
    if (index >= topicLevels.length) return false
    if (level !== '+' && level !== topicLevels[index]) return false
  }
  return filterLevels.length === topicLevels.length
}
