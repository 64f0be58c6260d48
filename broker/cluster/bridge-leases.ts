import type { BridgePlacement } from '../bridge/bridge-placement.js'
import type { RedisClient } from '../store/redis-connection.js'
import type { ClusterKeys } from './cluster-keys.js'
import type { MembershipTiming } from './node-membership.js'

/**
 * A bridge runs on one node of the cluster at a time: the member named by `bridge:<name>` (cluster-keys.ts), a key
 * with the time-to-live of a node's liveness, renewed as often. Every node configured with the bridge tries to take
 * the key while it is free; when its holder dies the key runs out within the liveness time and another node takes
 * the bridge on. Its session, `$bridge/<name>`, is a cluster session like a client's: the dead node's recoverer
 * adopts it with its queue, and the new holder's bridge takes it over from there, so what waited for the remote
 * survives the node that held the bridge.
 */
export class BridgeLeases implements BridgePlacement {
  private readonly held = new Map<string, () => void>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly commands: RedisClient,
    private readonly keys: ClusterKeys,
    private readonly member: string,
    private readonly timing: Pick<MembershipTiming, 'livenessMs' | 'renewMs'>
  ) {}

  async hold(name: string, lost: () => void): Promise<boolean> {
    const key = this.keys.bridge(name)
    while (!this.stopped) {
      const taken = await this.commands.eval(TAKE_SCRIPT, 1, key, this.member, this.timing.livenessMs).catch(() => 0)
      if (taken === 1 && !this.stopped) {
        this.held.set(name, lost)
        this.timer ??= setInterval(() => void this.renew(), this.timing.renewMs)
        return true
      }
      await new Promise((resolve) => setTimeout(resolve, this.timing.renewMs))
    }
    return false
  }

  async release(name: string): Promise<void> {
    if (!this.held.delete(name)) return
    await this.commands.eval(RELEASE_SCRIPT, 1, this.keys.bridge(name), this.member).catch(() => {})
  }

  /** Stops taking and renewing: the node leaves (its bridges are stopped and released first). */
  stop(): void {
    this.stopped = true
    clearInterval(this.timer)
  }

  private async renew(): Promise<void> {
    for (const [name, lost] of this.held) {
      const taken = await this.commands
        .eval(TAKE_SCRIPT, 1, this.keys.bridge(name), this.member, this.timing.livenessMs)
        .catch(() => undefined)
      // Redis away: kept for now (the key is renewed once it is back, or taken by a node that found this one dead).
      if (taken !== 0 || !this.held.has(name)) continue
      this.held.delete(name)
      lost()
    }
  }
}

/** Takes or renews a bridge's key (KEYS[1]) for a member (ARGV[1], for ARGV[2] ms): 1, or 0 while another holds it. */
const TAKE_SCRIPT = `local holder = redis.call('get', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/** Frees a bridge's key (KEYS[1]) if the member (ARGV[1]) holds it. */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`
