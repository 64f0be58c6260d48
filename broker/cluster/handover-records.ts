import type { RedisClient } from '../store/redis-connection.js'
import type { ClusterKeys } from './cluster-keys.js'
import { OVERLAP_WINDOW_MS } from './recovery-overlap.js'
import { RELAY_GRACE_MS } from './session-relay.js'

/** The sessions a member let go lately, by client id, with the plain filters its relay kept for each. */
export type HandedOver = ReadonlyMap<string, readonly string[]>

/**
 * How long a handover is kept: its relay, then the overlap window of the session's new holder, within which a copy
 * sent on after the relay is still given to the session once (recovery-overlap.ts). A recovery begins within seconds
 * of the death (the liveness key's time-to-live), well inside that.
 */
const HANDOVER_KEPT_MS = RELAY_GRACE_MS + OVERLAP_WINDOW_MS

/**
 * The handovers of this member's sessions to other nodes, kept in Redis (issue 16), so they outlive the member. Its
 * relay (session-relay.ts) is held in its memory only: killed while it relays, the member leaves in its stream the
 * messages other nodes routed to it for a session already gone, which its recoverer's drain gives only to the sessions
 * it adopted. The drain reads these records and sends each such message on to the session's holder
 * (ClusterRouter, session-follower.ts), as the relay would have. Written before the lease is released: a handover the
 * recoverer cannot read would be messages acknowledged and lost.
 *
 * One hash per member (`handovers:<member>`), its fields client ids, each with its filters and when it was let go;
 * the hash expires HANDOVER_KEPT_MS after the last handover, and older fields are ignored (Redis 7.0 has no expiry per
 * field).
 */
export class HandoverRecords {
  constructor(
    private readonly commands: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly member: string
  ) {}

  /** This member lets `clientId` go, its relay keeping `filters`: resolves once Redis has it. */
  async record(clientId: string, filters: readonly string[]): Promise<void> {
    const key = this.keys.handovers(this.member)
    const record: StoredHandover = { filters, at: Date.now() }
    const answers = await this.commands.multi().hset(key, clientId, JSON.stringify(record)).pexpire(key, HANDOVER_KEPT_MS).exec()
    const failed = answers?.find(([error]) => error !== null)
    if (failed !== undefined) throw failed[0]
  }

  /** The sessions `member` let go within HANDOVER_KEPT_MS, with their filters. */
  async of(member: string): Promise<HandedOver> {
    const stored = await this.commands.hgetall(this.keys.handovers(member))
    const handedOver = new Map<string, readonly string[]>()
    const since = Date.now() - HANDOVER_KEPT_MS
    for (const [clientId, value] of Object.entries(stored)) {
      const { filters, at } = JSON.parse(value) as StoredHandover
      if (at >= since && filters.length > 0) handedOver.set(clientId, filters)
    }
    return handedOver
  }
}

interface StoredHandover {
  readonly filters: readonly string[]
  readonly at: number
}
