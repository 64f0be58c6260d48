import type { Logger } from 'pino'
import type { LocalSessionParts } from '../session/local-session-registry.js'
import type { SessionRegistry } from '../session/session-registry.js'
import type { ClusterMembership, ReleaseRequests, StreamRecovery } from './cluster-seams.js'
import { ClusterSessionRegistry, type ClusterStore } from './cluster-session-registry.js'
import { NodeRecovery } from './node-recovery.js'
import type { SessionLeases } from './session-lease.js'

export interface ClusterSessionsParts {
  /** The Redis store, fenced by `leases` (RedisStoreOptions.fence). */
  readonly store: ClusterStore
  readonly leases: SessionLeases
  readonly membership: ClusterMembership
  readonly releases: ReleaseRequests
  readonly streams: StreamRecovery
  readonly logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * The session side of a cluster node, as the broker composes it (BrokerDependencies.sessions): the registry of the
 * sessions this node holds, and the recovery of dead nodes' sessions into it.
 */
export function clusterSessions(parts: ClusterSessionsParts): (local: LocalSessionParts) => SessionRegistry {
  return (local) => {
    const registry = new ClusterSessionRegistry({ ...local, ...parts })
    new NodeRecovery({ ...parts, registry })
    return registry
  }
}
