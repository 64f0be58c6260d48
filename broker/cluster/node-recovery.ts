import type { Logger } from 'pino'
import { inRounds } from '../store/in-rounds.js'
import type { ClusterMembership, StreamRecovery } from './cluster-seams.js'
import type { ClusterSessionRegistry } from './cluster-session-registry.js'
import type { SessionLeases } from './session-lease.js'

export interface NodeRecoveryParts {
  readonly membership: Pick<ClusterMembership, 'onNodeDead' | 'claimRecovery'>
  readonly leases: Pick<SessionLeases, 'claimedBy' | 'forgetNode'>
  readonly registry: Pick<ClusterSessionRegistry, 'adopt' | 'recovering'>
  readonly streams: StreamRecovery
  readonly logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * Takes over the sessions of a dead node (issue 16). When a node's liveness key expires, exactly one live node wins
 * `claimRecovery` and, for each session the dead node held a lease of (and still does: a client that came back
 * elsewhere has moved its lease on), claims the lease, restores the session here offline with its subscriptions,
 * queue and in-flight state, and sends the will its connection left, after what is left of the Will Delay. Then what
 * the dead node had received for those sessions and not yet delivered comes out of its stream into them. Clients
 * resume anywhere afterwards: their next connection takes the session over from this node.
 */
export class NodeRecovery {
  constructor(private readonly parts: NodeRecoveryParts) {
    parts.membership.onNodeDead((deadNodeId) => {
      this.recover(deadNodeId).catch((error: unknown) =>
        parts.logger.warn({ node: deadNodeId, err: error }, 'recovery of a dead node failed')
      )
    })
  }

  /** Resolves once the dead node's sessions are here (or another node recovers it). */
  async recover(deadNodeId: string): Promise<void> {
    const { membership, leases, registry, streams, logger } = this.parts
    if (!(await membership.claimRecovery(deadNodeId))) return
    const started = Date.now()
    const clientIds = await leases.claimedBy(deadNodeId)
    let finished!: () => void
    const work = new Promise<void>((resolve) => {
      finished = resolve
    })
    registry.recovering(deadNodeId, clientIds, work)
    try {
      const adopted = new Set<string>()
      await inRounds(clientIds, async (clientId) => {
        if (await registry.adopt(clientId, deadNodeId, started)) adopted.add(clientId)
      })
      await streams.drain(deadNodeId, adopted)
      await leases.forgetNode(deadNodeId)
      logger.info({ node: deadNodeId, sessions: adopted.size, ms: Date.now() - started }, 'recovered the sessions of a dead node')
    } finally {
      finished()
    }
  }
}
