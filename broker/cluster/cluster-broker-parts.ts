import type { Logger } from 'pino'
import type { LocalSessionParts } from '../session/local-session-registry.js'
import type { SessionRegistry } from '../session/session-registry.js'
import { RedisStore } from '../store/redis.js'
import { RedisKeys } from '../store/redis-keys.js'
import { parseRedisUrl } from '../store/redis-url.js'
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
  const cluster = new ClusterNode(settings, logger)
  // First: a process refused its node id must not restore (or write for) the sessions of the live node holding it.
  await cluster.claimNodeId()
  const warn = { warn: (message: string) => logger.warn(message) }
  const keys = new RedisKeys(settings.keyPrefix ?? '')
  let leases: SessionLeases
  try {
    // Held as this run of the node, the member the cluster node is.
    leases = await SessionLeases.connect(settings.url, keys, cluster.member, warn)
  } catch (error) {
    throw new Error(
      `cannot reach Redis at ${parseRedisUrl(settings.url).display}, where the cluster keeps its state: ${(error as Error).message}`
    )
  }
  // A session's writes refused: another member holds its lease, maybe as the recoverer of this one (found dead).
  leases.onLost(() => cluster.membership.checkOwnLiveness())
  const store = new RedisStore({ url: settings.url, keyPrefix: settings.keyPrefix, logger: warn, fence: leases })
  cluster.recordDeliverySources(store)
  cluster.followSessions(leases)
  return {
    store,
    cluster,
    sessions: clusterSessions({ store, leases, logger }),
    close: () => leases.close()
  }
}
