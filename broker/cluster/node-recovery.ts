import type { Logger } from 'pino'
import { inRounds } from '../store/in-rounds.js'
import type { ClusterMembership, StreamRecovery } from './cluster-seams.js'
import type { ClusterSessionRegistry } from './cluster-session-registry.js'
import type { SessionLeases } from './session-lease.js'

export interface NodeRecoveryParts {
  readonly membership: Pick<ClusterMembership, 'onMemberDead' | 'claimRecovery'>
  readonly leases: Pick<SessionLeases, 'claimedBy' | 'forgetNode'>
  readonly registry: Pick<ClusterSessionRegistry, 'adopt' | 'recovering'>
  readonly streams: StreamRecovery
  readonly logger: Pick<Logger, 'info' | 'warn'>
}

/**
 * Takes over the sessions of a dead member (issue 16): a node whose liveness key expired, or the previous run of a
 * restarted node (which recovers like any other: the restarted node may win the claim itself). Exactly one live
 * member wins `claimRecovery` and, for each session the dead member held a lease of (and still does: a client that
 * came back elsewhere has moved its lease on), claims the lease, restores the session here offline with its
 * subscriptions, queue and in-flight state, and sends the will its connection left, after what is left of the Will
 * Delay. Then what the dead member had received for those sessions and not yet delivered comes out of its stream into
 * them. Clients resume anywhere afterwards: their next connection takes the session over from this member.
 */
export class NodeRecovery {
  constructor(private readonly parts: NodeRecoveryParts) {
    parts.membership.onMemberDead((deadMember) => {
      this.recover(deadMember).catch((error: unknown) =>
        parts.logger.warn({ member: deadMember, err: error }, 'recovery of a dead node failed')
      )
    })
  }

  /** Resolves once the dead member's sessions are here (or another member recovers it). */
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
      logger.info({ member: deadNodeId, sessions: adopted.size, ms: Date.now() - started }, 'recovered the sessions of a dead node')
    } finally {
      finished()
    }
  }
}
