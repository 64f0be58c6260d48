import { topicMatchesFilter } from '../../common/topic-filter.js'
import type { BridgeTopic } from './bridge-settings.js'

/** The filter a bridged topic subscribes to on this broker. */
export function localFilter(topic: BridgeTopic): string {
  return topic.localPrefix + topic.pattern
}

/** The filter a bridged topic subscribes to on the remote. */
export function remoteFilter(topic: BridgeTopic): string {
  return topic.remotePrefix + topic.pattern
}

/** A local topic (matching `localFilter(topic)`) as the remote names it: the local prefix traded for the remote one. */
export function toRemoteTopic(topic: BridgeTopic, local: string): string {
  return topic.remotePrefix + local.slice(topic.localPrefix.length)
}

/** A remote topic (matching `remoteFilter(topic)`) as this broker names it. */
export function toLocalTopic(topic: BridgeTopic, remote: string): string {
  return topic.localPrefix + remote.slice(topic.remotePrefix.length)
}

/** The first of `topics` going `direction` (or both ways) whose filter on that side matches `name`. */
export function bridgedTopicOf(topics: readonly BridgeTopic[], side: 'local' | 'remote', name: string): BridgeTopic | undefined {
  const direction = side === 'local' ? 'out' : 'in'
  return topics.find(
    (topic) =>
      (topic.direction === direction || topic.direction === 'both') &&
      topicMatchesFilter(name, side === 'local' ? localFilter(topic) : remoteFilter(topic))
  )
}
