import { Cluster, type Redis } from 'ioredis'
import type { RedisClient } from './redis-connection.js'

/**
 * Whether the Redis server keeps what it acknowledges. The store acknowledges a QoS 1/2 message once Redis has
 * answered the batch that holds it; that answer means "on disk" only with `appendonly yes` and
 * `appendfsync always`. With `everysec` a crash of the Redis host loses up to a second of acknowledged messages; with
 * no AOF everything since the last RDB snapshot. Returns the warning to log, or undefined when the settings keep
 * every acknowledged message. On a Redis Cluster every master is checked, since each holds a share of the keys.
 */
export async function durabilityWarning(redis: RedisClient, url: string): Promise<string | undefined> {
  if (!(redis instanceof Cluster)) return serverWarning(redis, url)
  const masters = redis.nodes('master')
  const warnings = await Promise.all(
    masters.map((node) => serverWarning(node, `${node.options.host}:${node.options.port} (a master of ${url})`))
  )
  const found = warnings.filter((warning) => warning !== undefined)
  return found.length === 0 ? undefined : found.join('; ')
}

async function serverWarning(redis: Redis, url: string): Promise<string | undefined> {
  let appendonly: string
  let appendfsync: string
  try {
    appendonly = configValue(await redis.config('GET', 'appendonly'))
    appendfsync = configValue(await redis.config('GET', 'appendfsync'))
  } catch (error) {
    // A managed Redis often refuses CONFIG.
    return (
      `cannot check the durability settings of Redis at ${url} (${(error as Error).message}): acknowledged QoS 1/2 ` +
      'messages, sessions and retained messages survive a crash of the Redis host only if it runs with ' +
      '`appendonly yes` and `appendfsync always`'
    )
  }
  if (appendonly !== 'yes') {
    return (
      `Redis at ${url} runs with appendonly ${appendonly}: a crash or restart of Redis loses every acknowledged ` +
      'QoS 1/2 message, session, queue and retained message written since its last snapshot. Run it with ' +
      '`appendonly yes` and `appendfsync always` to keep them'
    )
  }
  if (appendfsync !== 'always') {
    return (
      `Redis at ${url} runs with appendfsync ${appendfsync}: a crash of the Redis host loses the acknowledged QoS 1/2 ` +
      'messages and session changes of up to the last second (all not yet fsynced with `no`). Run it with ' +
      '`appendfsync always` to keep every acknowledged message'
    )
  }
  return undefined
}

/** CONFIG GET answers [name, value]; an empty answer means the setting is unknown to this server. */
function configValue(answer: unknown): string {
  const pair = answer as string[]
  return pair.length >= 2 ? String(pair[1]) : 'unknown'
}
