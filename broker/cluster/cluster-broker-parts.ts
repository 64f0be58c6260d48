import type { Logger } from 'pino'
import type { LocalSessionParts } from '../session/local-session-registry.js'
import type { SessionRegistry } from '../session/session-registry.js'
import { RedisStore } from '../store/redis.js'
import { RedisKeys } from '../store/redis-keys.js'
import { memberOf, newIncarnation } from './cluster-keys.js'
import { ClusterNode, type ClusterSettings } from './cluster-node.js'
import type { ClusterSeams } from './cluster-seams.js'
import { clusterSessions } from './cluster-sessions.js'
import { SessionLeases } from './session-lease.js'

/** What makes a broker a cluster node, for its BrokerDependencies; `close` after the broker has closed. */
export interface ClusterBrokerParts {
  readonly store: RedisStore
  readonly cluster: ClusterNode
  readonly sessions: (parts: LocalSessionParts, cluster: ClusterSeams | undefined) => SessionRegistry
  close(): Promise<void>
}

/**
 * A cluster node's parts from its settings: the session leases, the Redis store fenced by them, the cluster node
 * (membership, filters, streams, routing) and the session registry with dead-node recovery. The command line
 * loads this module only for `--cluster`, so a lone broker never loads the Redis client.
 */
export async function clusterBrokerParts(settings: ClusterSettings, logger: Logger): Promise<ClusterBrokerParts> {
  const warn = { warn: (message: string) => logger.warn(message) }
  const keys = new RedisKeys(settings.keyPrefix ?? '')
  // The leases are held as this run of the node, the member the cluster node is.
  const incarnation = settings.incarnation ?? newIncarnation()
  let leases: SessionLeases
  try {
    leases = await SessionLeases.connect(settings.url, keys, memberOf(settings.nodeId, incarnation), warn)
  } catch (error) {
    const url = settings.url.replace(/\/\/[^@/]*@/, '//')
    throw new Error(`cannot reach Redis at ${url}, where the cluster keeps its state: ${(error as Error).message}`)
  }
  const store = new RedisStore({ url: settings.url, keyPrefix: settings.keyPrefix, logger: warn, fence: leases })
  return {
    store,
    cluster: new ClusterNode({ ...settings, incarnation }, logger, store),
    sessions: clusterSessions({ store, leases, logger }),
    close: () => leases.close()
  }
}
