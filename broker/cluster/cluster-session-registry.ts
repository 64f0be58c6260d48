import type { Logger } from 'pino'
import { type LocalSessionParts, LocalSessionRegistry } from '../session/local-session-registry.js'
import type { Session } from '../session/session.js'
import type { SessionLink } from '../session/session-link.js'
import type { OpenResult, SessionRegistry, SessionRequest } from '../session/session-registry.js'
import { willDelay } from '../session/will.js'
import type { RedisStore } from '../store/redis.js'
import type { StoredSession } from '../store/store.js'
import type { ClusterMembership, ReleaseRequests, SessionHandovers } from './cluster-seams.js'
import { OneAtATime } from './one-at-a-time.js'
import type { LeaseHolder, SessionLeases } from './session-lease.js'

/** What a cluster node's sessions need of the Redis store: the Store, and handing sessions between nodes. */
export type ClusterStore = LocalSessionParts['store'] &
  Pick<RedisStore, 'loadSession' | 'forgetSession' | 'saveWill' | 'deleteWill' | 'readWill'>

export interface ClusterSessionParts extends LocalSessionParts {
  readonly store: ClusterStore
  readonly leases: SessionLeases
  readonly membership: Pick<ClusterMembership, 'member' | 'isAlive' | 'aliveNow' | 'recoveryClaimed'>
  readonly releases: ReleaseRequests
  /** Absent where sessions are tested without routing. */
  readonly handovers?: SessionHandovers
  readonly logger: Pick<Logger, 'warn' | 'info'>
  /** How long `open` waits for a dead node's session to be recovered before it claims the lease anyway. */
  readonly recoveryWaitMs?: number
}

/** How long `open` waits for a dead node's session to be recovered, unless the parts say otherwise. */
const RECOVERY_WAIT_MS = 10_000
/**
 * How long `open` waits at most for a recovery a live member has claimed (one adopting a large node's sessions, one
 * after another, can take minutes); past that the client is refused (Server unavailable) and comes back later.
 */
const CLAIMED_RECOVERY_WAIT_MS = 300_000
/** How often `open` looks whether a dead node's session has been recovered. */
const RECOVERY_POLL_MS = 100
/** How many holders in a row `open` asks to let a session go before it gives up (refused: unavailable). */
const CLAIM_ATTEMPTS = 5

/**
 * The sessions of one node of a cluster (issue 16). Each session is held by the node that holds its lease
 * (session-lease.ts), and this node keeps only those in its LocalSessionRegistry, which does the rest of a session's
 * life. `open` for a session held elsewhere asks its node to let it go (its connection ends with Session Taken Over,
 * what it acknowledged is made durable, the lease released), claims the lease with the next epoch and reads the
 * session from Redis: subscriptions, in-flight state and queue. The will of each connected client is kept in Redis
 * (`tp:{id}:will`) until it is sent or dropped, so that the node recovering this one can send it (node-recovery.ts).
 * Opens, releases and recovery of one client id run one after another (OneAtATime).
 */
export class ClusterSessionRegistry implements SessionRegistry {
  private readonly local: LocalSessionRegistry
  private readonly oneAtATime = new OneAtATime()
  /** Recoveries of dead nodes running here, by dead node: opens of their sessions wait for them. */
  private readonly recoveries = new Map<string, Promise<void>>()
  /** The same recoveries by the client ids of the sessions they adopt: an open of one waits for its drain (`drainedHere`). */
  private readonly recoveringSessions = new Map<string, Promise<void>>()
  /**
   * Adoptions running here, by client id. An adoption claims the lease before it reads the session: an open that saw
   * the lease here in between would start a new session (CONNACK Session Present 0) over the one being restored.
   */
  private readonly adopting = new Map<string, Promise<boolean>>()

  constructor(private readonly parts: ClusterSessionParts) {
    const { store, wills } = parts
    this.local = new LocalSessionRegistry({
      ...parts,
      wills: {
        publishWill(will, clientId, username) {
          store.deleteWill(clientId)
          wills.publishWill(will, clientId, username)
        }
      },
      ended: (session) => this.ended(session)
    })
    parts.releases.onReleaseRequest((clientId, toNode) => this.release(clientId, toNode))
    parts.leases.onLost((clientId) => this.lost(clientId))
  }

  get count(): number {
    return this.local.count
  }

  /** The sessions this node holds: each node's admin API lists its own. */
  list(): Iterable<Session> {
    return this.local.list()
  }

  /** Deletes a session held here (its lease goes with it, as for any session that ends); another node's is its own. */
  discard(clientId: string): boolean {
    return this.local.discard(clientId)
  }

  open(link: SessionLink, request: SessionRequest): Promise<OpenResult> {
    return this.oneAtATime.run(request.clientId, () => this.openHere(link, request))
  }

  connectionClosed(session: Session, link: SessionLink, sendWill: boolean): void {
    const current = session.link === link
    this.local.connectionClosed(session, link, sendWill)
    // After a normal DISCONNECT there is no will to send; a will that waits for its delay stays in Redis.
    if (current && !sendWill && this.local.get(session.clientId) === session) this.parts.store.deleteWill(session.clientId)
  }

  /**
   * Restores nothing from the store: a member starts holding no lease. The sessions of this node's previous run come
   * back through the recovery of that run (node-recovery.ts), with its will and what its stream still held.
   */
  restore(stored: readonly StoredSession[]): void {
    for (const session of stored) this.parts.store.forgetSession(session.record.clientId)
  }

  /**
   * Takes on a session of a dead node (node-recovery.ts), offline, with the will its connection left (sent after
   * what is left of its delay, unless a connection resumes the session first). Resolves false when the lease had
   * moved on: the client came back elsewhere.
   *
   * A released lease is taken too: the dead node put the session in its set before it asked the holder to let it go
   * (SessionLeases.claiming), so a released lease there is most likely one let go to it that it died before claiming.
   * Nobody else would adopt that session, and what was published for it meanwhile was relayed into the dead node's
   * stream, which is drained into it next. Should the lease have been released for another reason (the session ended,
   * or went towards a third node), the session is not in the store (released here at once), or the third node's
   * claim finds it here and asks for it as from any holder.
   */
  adopt(clientId: string, deadNodeId: string, now: number): Promise<boolean> {
    const adoption = this.adoptNow(clientId, deadNodeId, now)
    this.adopting.set(clientId, adoption)
    const forget = (): void => {
      if (this.adopting.get(clientId) === adoption) this.adopting.delete(clientId)
    }
    adoption.then(forget, forget)
    return adoption
  }

  private async adoptNow(clientId: string, deadNodeId: string, now: number): Promise<boolean> {
    const { leases, store, wills } = this.parts
    if (!(await leases.claim(clientId, [deadNodeId, '']))) return false
    const [stored, will] = await Promise.all([store.loadSession(clientId), store.readWill(clientId)])
    if (stored !== undefined) this.local.restore([stored], now)
    const session = this.local.get(clientId)
    if (session !== undefined) this.parts.handovers?.adopted(clientId)
    if (will !== undefined && session !== undefined) {
      session.username = will.username
      const offlineSince = stored?.record.disconnectedAt ?? now
      session.holdWill(will.will, willDelay(will.will), (now - offlineSince) / 1000)
    } else if (will !== undefined) {
      // The session ended with its connection: the will goes now [MQTT-3.1.3-9].
      store.deleteWill(clientId)
      wills.publishWill(will.will, clientId, will.username)
    }
    if (session === undefined) await this.releaseAfterFlush(clientId)
    return session !== undefined
  }

  /**
   * `work` recovers `deadNodeId`, whose sessions were those of `clientIds`: opens of them here wait for it, and other
   * nodes' requests to release them queue behind it, so what the dead node had received for them is delivered first.
   */
  recovering(deadNodeId: string, clientIds: Iterable<string>, work: Promise<void>): void {
    this.recoveries.set(deadNodeId, work)
    const settled = work.catch(() => {})
    void settled.then(() => {
      if (this.recoveries.get(deadNodeId) === work) this.recoveries.delete(deadNodeId)
    })
    for (const clientId of clientIds) {
      this.recoveringSessions.set(clientId, settled)
      void settled.then(() => {
        if (this.recoveringSessions.get(clientId) === settled) this.recoveringSessions.delete(clientId)
      })
      void this.oneAtATime.run(clientId, () => settled)
    }
  }

  private async openHere(link: SessionLink, request: SessionRequest): Promise<OpenResult> {
    const { clientId, will, username } = request
    const { leases, store, logger } = this.parts
    await this.adoption(clientId)
    if (!leases.holds(clientId)) {
      try {
        await this.takeOn(clientId)
      } catch (error) {
        logger.warn({ clientId, err: error }, 'cannot take the session on: Redis or the node holding it did not answer')
        return { refused: 'unavailable' }
      }
    }
    await this.drainedHere(clientId)
    // A link that closed while this waited gets nothing: the session stays here offline.
    if (!link.isOpen) return { refused: 'unavailable' }
    const result = this.local.open(link, request)
    if (!('refused' in result)) {
      if (will === undefined) store.deleteWill(clientId)
      else store.saveWill(clientId, { will, username })
    }
    return result
  }

  /**
   * Claims the lease, after its holder let it go (or died and was recovered), and reads the session. Messages the
   * old holder relays for it meanwhile wait until it is restored (session-relay.ts).
   */
  private async takeOn(clientId: string): Promise<void> {
    this.parts.handovers?.expecting(clientId)
    let resumed = false
    try {
      resumed = await this.claimAndRestore(clientId)
    } finally {
      this.parts.handovers?.arrived(clientId, resumed)
    }
  }

  /**
   * The claim names the holder it saw let go (or found dead): a claim over whoever holds it could take the lease from
   * a node that got it meanwhile (by recovering the dead holder) without that node letting the session go; that
   * node's writes were then refused and what it had taken on for the session lost. Another holder found at the claim
   * is asked in turn.
   */
  private async claimAndRestore(clientId: string): Promise<boolean> {
    const { leases, membership, releases, store } = this.parts
    for (let attempt = 1; ; attempt++) {
      const holder = await this.holderAfterRecovery(clientId)
      await this.adoption(clientId)
      if (leases.holds(clientId)) return true // this node recovered it meanwhile
      let from = holder?.node ?? ''
      if (from !== '' && from !== membership.member && membership.isAlive(from)) {
        await leases.claiming(clientId) // before the holder lets go: should this node die next, its recovery adopts it
        await releases.requestRelease(from, clientId)
        const stillHeld = (await leases.holder(clientId))?.node === from
        // Found dead while holding it: wait for its recovery, which delivers what its stream holds for the session.
        if (stillHeld && !membership.isAlive(from) && attempt < CLAIM_ATTEMPTS) continue
        from = stillHeld ? from : ''
      }
      if (await leases.claim(clientId, from)) break
      if (attempt === CLAIM_ATTEMPTS) throw new Error(`the session's lease kept moving between nodes`)
    }
    const stored = await store.loadSession(clientId)
    if (stored !== undefined) this.local.restore([stored], Date.now())
    return stored !== undefined
  }

  /**
   * A session that a recovery running here adopts gets its client only once that recovery is done: its drain gives the
   * session, in their order, what the dead node had received for it and not delivered, before anything new. An open
   * that began before the recovery (the client came back while its node was dying) ends up here when the recovery
   * adopts the session meanwhile. The wait lasts `recoveryWaitMs` at most: past that (a drain of a long backlog, or a
   * recovery that keeps failing) the client gets the session, and a drain still running goes on delivering into it,
   * each message once (recovery-overlap.ts), but no longer in order with what comes live.
   */
  private async drainedHere(clientId: string): Promise<void> {
    const recovery = this.recoveringSessions.get(clientId)
    if (recovery === undefined) return
    const waitMs = this.parts.recoveryWaitMs ?? RECOVERY_WAIT_MS
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), waitMs)
    })
    const tooLate = await Promise.race([recovery.then(() => false), late])
    clearTimeout(timer)
    if (tooLate)
      this.parts.logger.warn(
        { clientId, ms: waitMs },
        'the recovery of a dead node is still draining into this session; its client gets it now'
      )
  }

  /** Waits for an adoption of the session running here, if there is one (its outcome does not matter here). */
  private async adoption(clientId: string): Promise<void> {
    await this.adopting.get(clientId)?.catch(() => false)
  }

  /**
   * The lease holder, once it is not a dead node: a dead node's session waits for its recovery, which delivers what the
   * dead node had received for it. Should no live member have claimed that recovery within `recoveryWaitMs`, the
   * lease is taken from the dead node; one that has claimed it is waited for (CLAIMED_RECOVERY_WAIT_MS at most), since
   * its adoption of the session, late in a large recovery, would then fail, and its drain would give the session
   * nothing of what the dead node's stream holds for it: acknowledged messages lost.
   */
  private async holderAfterRecovery(clientId: string): Promise<LeaseHolder | undefined> {
    const { leases, membership } = this.parts
    const started = Date.now()
    const waitMs = this.parts.recoveryWaitMs ?? RECOVERY_WAIT_MS
    let holder = await leases.holder(clientId)
    while (holder !== undefined && holder.node !== '' && !membership.isAlive(holder.node)) {
      const waited = Date.now() - started
      if (waited >= waitMs && !(await membership.recoveryClaimed(holder.node))) break
      if (waited >= CLAIMED_RECOVERY_WAIT_MS) throw new Error(`the recovery of dead member ${holder.node} is taking too long`)
      const recoveryHere = this.recoveries.get(holder.node)
      if (recoveryHere !== undefined) await recoveryHere.catch(() => {})
      else await new Promise((resolve) => setTimeout(resolve, RECOVERY_POLL_MS))
      holder = await leases.holder(clientId)
    }
    return holder
  }

  /**
   * Another node asks for the session: it ends here, everything acknowledged is made durable, the lease released.
   * From the moment it ends here, what matches its subscriptions is relayed to `toNode` (session-relay.ts), and the
   * handover is recorded in Redis (handover-records.ts) before the lease goes.
   */
  private release(clientId: string, toNode: string): Promise<void> {
    // Not held here: nothing to let go. Answered at once rather than behind an open of ours that may itself wait for
    // the asking node to let go (two nodes taking the same client id at once); the later claim wins.
    if (!this.parts.leases.holds(clientId)) return Promise.resolve()
    return this.oneAtATime.run(clientId, async () => {
      if (!this.parts.leases.holds(clientId)) return
      const session = this.local.get(clientId)
      const recorded = session === undefined ? undefined : this.parts.handovers?.handingOver(clientId, plainFilters(session), toNode)
      this.local.letGo(clientId, 'another node took the session over')
      this.parts.store.forgetSession(clientId)
      // Recorded before the release: should this node die while it relays, its recoverer sends the rest on.
      await recorded
      await this.releaseAfterFlush(clientId)
      await this.takeBackFromDead(clientId, toNode)
    })
  }

  /**
   * The session was let go to `toNode`. Should that node have died and its recovery begun before the release, the
   * recovery found the lease still held here and left the session, and nobody would hold it: this node takes it back,
   * offline, as a recovery adopts it. Read after the release, a liveness key still naming `toNode` means its recovery
   * is claimed later, and finds the lease released (or claimed by `toNode`).
   */
  private async takeBackFromDead(clientId: string, toNode: string): Promise<void> {
    // Redis not answering: the release stands, as it did before this look (`toNode` claims it, or its recovery adopts it).
    if (await this.parts.membership.aliveNow(toNode).catch(() => true)) return
    this.parts.logger.warn({ clientId, node: toNode }, 'the node a session was let go to died before taking it; holding it here again')
    await this.adoptNow(clientId, toNode, Date.now())
  }

  /** A session that ended here needs no lease: the next connection of its client id may start anywhere. */
  private ended(session: Session): void {
    const clientId = session.clientId
    this.parts.store.deleteWill(clientId)
    this.oneAtATime
      .run(clientId, async () => {
        if (this.local.get(clientId) === undefined) await this.releaseAfterFlush(clientId)
      })
      .catch((error: unknown) => this.parts.logger.warn({ clientId, err: error }, 'could not release the lease of an ended session'))
  }

  private async releaseAfterFlush(clientId: string): Promise<void> {
    await this.parts.store.flush().catch(() => {})
    await this.parts.leases.release(clientId)
  }

  /** This node's writes for the session were refused: another node holds it, so it ends here (fencing). */
  private lost(clientId: string): void {
    if (this.local.get(clientId) === undefined) return
    this.parts.logger.warn({ clientId }, 'writes for this session were refused: another node holds its lease now; dropping it here')
    this.local.letGo(clientId, 'another node holds the session')
    this.parts.store.forgetSession(clientId)
  }
}

/** The filters of a session's non-shared subscriptions. */
function plainFilters(session: Session): string[] {
  return [...session.subscriptions.keys()].filter((filter) => !filter.startsWith('$share/'))
}
