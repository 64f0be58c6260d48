import type { Logger } from 'pino'
import type { LocalSessionParts } from '../session/local-session-registry.js'
import type { SessionRegistry } from '../session/session-registry.js'
import type { ClusterSeams } from './cluster-seams.js'
import { ClusterSessionRegistry, type ClusterStore } from './cluster-session-registry.js'
import { NodeRecovery } from './node-recovery.js'
import type { SessionLeases } from './session-lease.js'

export interface ClusterSessionsParts {
  /** The Redis store, fenced by `leases` (RedisStoreOptions.fence). */
  readonly store: ClusterStore
  readonly leases: SessionLeases
  readonly logger: Pick<Logger, 'info' | 'warn'>
  /** The rest of the cluster, when it is not the broker's own cluster node (tests of the session side alone). */
  readonly seams?: ClusterSeams
  /** How long an open waits for a dead node's recovery (ClusterSessionParts); tests shorten it. */
  readonly recoveryWaitMs?: number
}

/**
 * The session side of a cluster node, as the broker composes it (BrokerDependencies.sessions): the registry of the
 * sessions this node holds, and the recovery of dead nodes' sessions into it.
 */
export function clusterSessions(
  parts: ClusterSessionsParts
): (local: LocalSessionParts, cluster: ClusterSeams | undefined) => SessionRegistry {
  return (local, cluster) => {
    const seams = parts.seams ?? cluster
    if (seams === undefined) throw new Error('cluster sessions need the cluster: give the broker its cluster settings')
    // Named one by one: the cluster node serves them through getters, which a spread would not copy.
    const { membership, releases, streams, handovers } = seams
    const registry = new ClusterSessionRegistry({ ...local, ...parts, membership, releases, handovers })
    new NodeRecovery({ ...parts, membership, streams, registry })
    return registry
  }
}
