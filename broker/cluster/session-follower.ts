import { setTimeout as sleep } from 'node:timers/promises'
import { topicMatchesFilter } from '../../common/topic-filter.js'
import type { MembershipTiming } from './node-membership.js'
import type { LeaseHolder } from './session-lease.js'

/**
 * Where sessions are held (session-lease.ts): whether this node holds one, which member holds it in Redis, and whether
 * the session is stored (a released lease of a stored session gets a holder again; one of a session that ended does not).
 */
export interface SessionHolders {
  holds(clientId: string): boolean
  holder(clientId: string): Promise<LeaseHolder | undefined>
  sessionStored(clientId: string): Promise<boolean>
}

/** How often a released lease is looked at again: a takeover claims it a moment after the old holder let it go. */
const RELEASED_RETRY_MS = 100
/**
 * Room for a dead claimer's recovery to adopt the sessions of its set, from the moment the recovery is claimed: the
 * recoverer reads the set and claims each lease before it drains anything, and a recovery that fails (Redis away) runs
 * again a second later; the same 10 s an open waits for a dead node's session to be recovered (cluster-session-registry.ts).
 */
const RECOVERY_ADOPTS_MS = 10_000
/** While Redis does not answer, the lookup is tried again this often: the stream entry waits, as for the store. */
const FAILED_RETRY_MS = 500
/** A session whose lease this node has just taken is restored a moment later (adopted, or taken over). */
const NOT_YET_RETRY_MS = 50
const NOT_YET_ATTEMPTS = 40
/**
 * How long a session that left is followed. Its late copies come from the drain of a dead member's stream or from
 * nodes that heard of a death late, all within a recovery's seconds; an hour is far past that and bounds the memory
 * a long-running node keeps for sessions that never come back.
 */
const FOLLOWED_MS = 3_600_000

/**
 * Sessions that left this node, followed wherever they are now (issue 16). A message can come here for a session
 * long after it left: in a dead member's stream this node drains into the sessions it adopted (or appended there by a
 * node that heard of the death late, and redirected here), or relayed here by a node the session left for this one.
 * The session's old holder relays for a while only (session-relay.ts); past that, the copy would find no session.
 * So it goes on to the member holding the session's lease now, as a copy for that client with the message's identity,
 * which that member gives the session once (RecoveryOverlap, and the identities recorded with the session).
 *
 * Why not write it into the session's queue in the store: the holder keeps the session in memory and is the only one
 * whose writes the store takes (its lease fences the others); only it can tell whether the session already has the
 * message, and a copy written behind its back would be overwritten or refused. A released lease has no holder to
 * write for it at all, so a copy for it waits until the lease has one again (`holderOf`): taking the lease here only
 * to write the copy would be one more move of the session, and would take it from under the recovery that adopts it.
 * Waiting loses nothing: the stream entry the copy came in is acknowledged only once every copy went on (`settled`),
 * so a node that dies meanwhile leaves it to its recoverer.
 */
export class SessionFollower {
  /**
   * The plain filters each session had when it left this node (a message matching none was never its), and when it
   * left; in the order they left, so the oldest are dropped first.
   */
  private readonly left = new Map<string, { filters: readonly string[]; at: number }>()
  /** Lookups of holders under way: the stream entry they came from waits for them (`settled`). */
  private readonly lookups = new Set<Promise<void>>()
  /**
   * Holder lookups under way, by client id: the copies for one session wait for the same lease, so they share one
   * lookup (a drain following many copies to a released lease would otherwise poll Redis once per copy).
   */
  private readonly holderLookups = new Map<string, Promise<string | undefined>>()
  private holders: SessionHolders | undefined

  constructor(
    /** How long a released lease of a stored session is waited for: `releasedWaitMs`. */
    private readonly releasedWaitMs: number,
    private readonly logger: { warn(details: object, message: string): void },
    private readonly followedMs = FOLLOWED_MS
  ) {}

  /** Where leases are read; until then nothing is followed. */
  followWith(holders: SessionHolders): void {
    this.holders = holders
  }

  /** `clientId` left this node with plain subscriptions to `filters`. */
  leaving(clientId: string, filters: readonly string[]): void {
    const now = Date.now()
    for (const [oldest, { at }] of this.left) {
      if (now - at < this.followedMs) break
      this.left.delete(oldest)
    }
    this.left.delete(clientId) // to the end of the order
    this.left.set(clientId, { filters, at: now })
  }

  /** `clientId` is coming back here. */
  back(clientId: string): void {
    this.left.delete(clientId)
  }

  /** Of `clients`, those that left this node (and are not held here again) with a filter matching `topic`. */
  gone(topic: string, clients: ReadonlySet<string>): string[] {
    const holders = this.holders
    if (holders === undefined || this.left.size === 0) return []
    const gone: string[] = []
    for (const clientId of clients) {
      const left = this.left.get(clientId)
      if (left === undefined || holders.holds(clientId)) continue
      if (left.filters.some((filter) => topicMatchesFilter(topic, filter))) gone.push(clientId)
    }
    return gone
  }

  /**
   * Finds the member holding `clientId`'s lease and calls `send` with it; nobody holding it: the session ended.
   * `send` answers false when the copy cannot go there yet (the lease is this node's, the session not restored yet):
   * then the lease is looked at again shortly, for a while.
   */
  sendOn(clientId: string, send: (member: string) => boolean): void {
    const lookup = this.follow(clientId, send)
    this.lookups.add(lookup)
    void lookup.finally(() => this.lookups.delete(lookup))
  }

  /** Resolves once every lookup under way (and any started meanwhile) has sent its copy on. */
  async settled(): Promise<void> {
    while (this.lookups.size > 0) await Promise.all(this.lookups)
  }

  private async follow(clientId: string, send: (member: string) => boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const member = await this.holderOf(clientId)
      if (member === undefined || send(member) || attempt === NOT_YET_ATTEMPTS) return
      await sleep(NOT_YET_RETRY_MS)
    }
  }

  /**
   * The member holding the lease. Released: the session was let go towards a node that claims it a moment later, or,
   * should that node have died first, its recovery adopts it; so while the session is stored, the copy waits for that,
   * up to `releasedWaitMs`. A released lease of a session no longer stored: it ended, and the copy goes nowhere.
   */
  private holderOf(clientId: string): Promise<string | undefined> {
    let lookup = this.holderLookups.get(clientId)
    if (lookup === undefined) {
      lookup = this.lookUpHolder(clientId)
      this.holderLookups.set(clientId, lookup)
      // lookUpHolder never rejects: it tries again while Redis does not answer.
      void lookup.then(() => this.holderLookups.delete(clientId))
    }
    return lookup
  }

  private async lookUpHolder(clientId: string): Promise<string | undefined> {
    const holders = this.holders!
    let releasedSince: number | undefined
    for (;;) {
      let holder: LeaseHolder | undefined
      let stored = true
      try {
        holder = await holders.holder(clientId)
        if (holder?.node === '') stored = await holders.sessionStored(clientId)
      } catch {
        await sleep(FAILED_RETRY_MS)
        continue
      }
      if (holder === undefined || !stored) return undefined
      if (holder.node !== '') return holder.node
      releasedSince ??= Date.now()
      if (Date.now() - releasedSince >= this.releasedWaitMs) {
        this.logger.warn(
          { clientId, ms: this.releasedWaitMs },
          'cluster: a copy for a session whose lease nobody took up is dropped: neither its claimer nor a recovery took the session'
        )
        return undefined
      }
      await sleep(RELEASED_RETRY_MS)
    }
  }
}

/**
 * How long a session's lease can be released with its session stored, and nobody claiming it yet, under `timing`: its
 * claimer died between the release and its claim, so the lease waits for the recovery of the claimer, which adopts the
 * released leases its set names (node-recovery.ts). The claimer's liveness key runs out at most `livenessMs` after its
 * last renewal, the next check (`checkMs`) finds it dead, and the recovery adopts within RECOVERY_ADOPTS_MS.
 */
export function releasedWaitMs(timing: Pick<MembershipTiming, 'livenessMs' | 'checkMs'>): number {
  return timing.livenessMs + timing.checkMs + RECOVERY_ADOPTS_MS
}
