import type { RedisClient } from '../store/redis-connection.js'
import { type ClusterKeys, nodeOfMember } from './cluster-keys.js'

/**
 * How long a recovery claim names its recoverer: far longer than any recovery, since a member is never alive again
 * (a claim only goes to a member whose node's liveness key does not name it, and that key is never set again for it).
 */
const RECOVERY_CLAIM_MS = 3_600_000

/**
 * Who recovers which dead member: `recovery:<member>` names its recoverer (cluster-keys.ts). A claim lasts as long as
 * its recoverer lives: one that dies before it has finished (the member it recovers is still registered: a finished
 * recovery forgets it) passes its claims to whoever recovers it in turn, and every step of a recovery can be done again.
 */
export class RecoveryClaims {
  constructor(
    private readonly commands: RedisClient,
    private readonly keys: ClusterKeys,
    /** The member claiming. */
    private readonly member: string
  ) {}

  /**
   * One step (CLAIM_RECOVERY_SCRIPT): the claim goes only to a member whose node's liveness key does not name it now,
   * and a member renews its key only while no claim names it (node-membership.ts), so a member found dead is either
   * back before anyone claims it, or recovered and never alive again: never both. True also when it was this member's.
   */
  async claim(deadMember: string): Promise<boolean> {
    const node = nodeOfMember(deadMember)
    const incarnation = deadMember.slice(node.length + 1)
    const keys = [this.keys.liveness(node), this.keys.recovery(deadMember)]
    return (await this.commands.eval(CLAIM_RECOVERY_SCRIPT, 2, ...keys, incarnation, this.member, RECOVERY_CLAIM_MS)) === 1
  }

  /** The member whose claim names `deadMember`'s recoverer, if one does. */
  async claimant(deadMember: string): Promise<string | undefined> {
    return (await this.commands.get(this.keys.recovery(deadMember))) ?? undefined
  }

  /**
   * Takes over the claims among `registered` members that `deadRecoverer` held, and theirs in turn (a recoverer of a
   * recoverer), by TAKE_OVER_SCRIPT: only from the dead one, so two members never both take one. Resolves those members.
   */
  async takeOver(deadRecoverer: string, registered: readonly string[]): Promise<string[]> {
    const taken: string[] = []
    const from = [deadRecoverer]
    for (let previous = from.pop(); previous !== undefined; previous = from.pop()) {
      for (const member of registered) {
        if (member === this.member || member === deadRecoverer || taken.includes(member)) continue
        const key = this.keys.recovery(member)
        if ((await this.commands.eval(TAKE_OVER_SCRIPT, 1, key, previous, this.member, RECOVERY_CLAIM_MS)) !== 1) continue
        taken.push(member)
        from.push(member)
      }
    }
    return taken
  }
}

/**
 * Claims a dead member's recovery (KEYS[1]: its node's liveness key, KEYS[2]: its recovery claim; ARGV: its
 * incarnation, the claiming member, how long the claim is kept): refused while the liveness key names the member
 * (it came back), answers 1 when the claim is, or already was, the claimant's.
 */
const CLAIM_RECOVERY_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return 0 end
local holder = redis.call('get', KEYS[2])
if holder == ARGV[2] then return 1 end
if holder then return 0 end
redis.call('set', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1`

/** Passes a recovery claim (KEYS[1]) from a dead recoverer (ARGV[1]) to its own recoverer (ARGV[2], kept ARGV[3] ms). */
const TAKE_OVER_SCRIPT = `if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`
