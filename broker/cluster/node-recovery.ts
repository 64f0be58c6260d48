import type { Logger } from 'pino'
import { inRounds } from '../store/in-rounds.js'
import type { ClusterMembership, StreamRecovery } from './cluster-seams.js'
import type { ClusterSessionRegistry } from './cluster-session-registry.js'
import type { SessionLeases } from './session-lease.js'

export interface NodeRecoveryParts {
  readonly membership: Pick<ClusterMembership, 'onMemberDead' | 'claimRecovery' | 'takeOverRecoveries'>
  readonly leases: Pick<SessionLeases, 'claimedBy' | 'forgetNode' | 'holds'>
  readonly registry: Pick<ClusterSessionRegistry, 'adopt' | 'recovering'>
  readonly streams: StreamRecovery
  readonly logger: Pick<Logger, 'info' | 'warn'>
  /** How long a recovery that failed (Redis away) waits before it runs again; tests shorten it. */
  readonly retryMs?: number
}

/**
 * A recovery that fails (Redis away) runs again after a second, then, past this many attempts, every
 * SLOW_RETRY_MS for as long as this node runs: its claim keeps the dead member's sessions waiting for it (an open
 * elsewhere does not take one from under it: cluster-session-registry.ts), so giving up would leave them unavailable.
 */
const FAST_ATTEMPTS = 30
const SLOW_RETRY_MS = 10_000

/**
 * Takes over the sessions of a dead member (issue 16): a node whose liveness key expired, or the previous run of a
 * restarted node (which recovers like any other: the restarted node may win the claim itself). Exactly one live
 * member wins `claimRecovery` and, for each session the dead member held a lease of (and still does: a client that
 * came back elsewhere has moved its lease on), claims the lease, restores the session here offline with its
 * subscriptions, queue and in-flight state, and sends the will its connection left, after what is left of the Will
 * Delay. Then what the dead member had received for those sessions and not yet delivered comes out of its stream into
 * them. Clients resume anywhere afterwards: their next connection takes the session over from this member.
 *
 * A recoverer may die in the middle. Its claims pass to the member that recovers it (takeOverRecoveries), which
 * recovers both: the dead recoverer first, so the sessions it had adopted are claimed from it, then the members it was
 * recovering, whose remaining sessions are still theirs. Every step can be done again: a lease is claimed only from
 * the holder named, a drain delivers into the sessions adopted here (store/delivery-sources.ts skips the entries
 * they have already) and deletes what it delivered, and a drained stream is retired once.
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
  async recover(deadMember: string): Promise<void> {
    const { membership, logger } = this.parts
    if (!(await membership.claimRecovery(deadMember))) return
    const members = [deadMember, ...(await membership.takeOverRecoveries(deadMember))]
    if (members.length > 1)
      logger.warn({ member: deadMember, inherited: members.slice(1) }, 'taking over the recoveries a dead node had not finished')
    // Across attempts: a session adopted by one is held here when the next runs, and its claim is not made again.
    const adopted = new Set<string>()
    // Opens of the sessions wait for the whole recovery, not one attempt: a session adopted by a failed attempt is
    // drained into by the next.
    let finished!: () => void
    const work = new Promise<void>((resolve) => {
      finished = resolve
    })
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.recoverMembers(members, adopted, work)
          return
        } catch (error) {
          logger.warn({ member: deadMember, err: error, attempt }, 'recovery of a dead node failed; running it again shortly')
          const delayMs = attempt < FAST_ATTEMPTS ? (this.parts.retryMs ?? 1000) : SLOW_RETRY_MS
          // Unreferenced: a recovery still failing when the broker closes does not keep its process running.
          await new Promise((resolve) => setTimeout(resolve, delayMs).unref())
        }
      }
    } finally {
      finished()
    }
  }

  /**
   * Adopts the sessions `members` held, then drains each one's stream into those of its sessions adopted here (not a
   * session its client took elsewhere: what came for it live is not in the overlap this node keeps, recovery-overlap.ts).
   */
  private async recoverMembers(members: readonly string[], adopted: Set<string>, work: Promise<void>): Promise<void> {
    const { leases, registry, streams, logger } = this.parts
    const started = Date.now()
    const sessionsOf = new Map<string, string[]>()
    for (const member of members) sessionsOf.set(member, await leases.claimedBy(member))
    for (const [member, clientIds] of sessionsOf) registry.recovering(member, clientIds, work)
    for (const [member, clientIds] of sessionsOf) {
      await inRounds(clientIds, async (clientId) => {
        if (await registry.adopt(clientId, member, started)) adopted.add(clientId)
      })
    }
    // The members a dead recoverer was recovering first: their streams' late appends were sent on to it, and go
    // to this member once those streams name it instead.
    for (const member of [...members].reverse()) {
      const held = new Set(sessionsOf.get(member)!.filter((clientId) => adopted.has(clientId) && leases.holds(clientId)))
      await streams.drain(member, held)
      await leases.forgetNode(member)
      logger.info({ member, sessions: held.size, ms: Date.now() - started }, 'recovered the sessions of a dead node')
    }
  }
}
