import { connectRedis, type RedisClient } from '../store/redis-connection.js'
import type { SessionFence } from '../store/redis-fence.js'
import type { RedisKeys } from '../store/redis-keys.js'

/** Who holds a session's lease: a node, or nobody (released), and the epoch of the last claim. */
export interface LeaseHolder {
  /** Empty once the holder released it. */
  readonly node: string
  readonly epoch: number
}

/**
 * Claims `<node>:<epoch + 1>` in one step, so two nodes claiming at once get different epochs and only the later
 * token is current. KEYS[1] the lease; ARGV[1] the claiming node; ARGV[2...] the holders it may have now ('*': any).
 * Answers the new token, or nil when the holder was none of those expected.
 */
const CLAIM = `
local holder, epoch = '', 0
local current = redis.call('GET', KEYS[1])
if current then
  holder, epoch = string.match(current, '^(.*):(%d+)$')
  epoch = tonumber(epoch)
end
local expected = ARGV[2] == '*'
for i = 2, #ARGV do
  if holder == ARGV[i] then expected = true end
end
if not expected then return false end
local token = ARGV[1] .. ':' .. (epoch + 1)
redis.call('SET', KEYS[1], token)
return token`

/** Empties the holder, keeping the epoch, when the token is still the current one. KEYS[1] the lease; ARGV[1] the token. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ':' .. string.match(ARGV[1], ':(%d+)$'))
return 1`

/**
 * The session leases of this node (issue 16): a session is written by one node at a time, the one whose token is in
 * `tp:{<clientId>}:lease`. Claims go straight to Redis; the store's writes check the token (redis-fence.ts), so a node
 * that lost a lease it still believes in cannot change the session. Each node also keeps the set of client ids it
 * claimed or is about to claim (`tp:{cluster}:leases:<node>`), so whoever recovers a dead node knows which sessions to
 * look at; the set is a hint (a lease moved away is only removed from it later), the lease key is the truth. A client
 * id goes into the set before its claim, never after: a node that dies between the two leaves a hint too many, never
 * a lease nobody would look at.
 */
export class SessionLeases implements SessionFence {
  private readonly held = new Map<string, string>()
  private readonly lostListeners: Array<(clientId: string) => void> = []

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    readonly nodeId: string
  ) {}

  /**
   * Leases on a connection of their own to `url` (any form the Redis store takes). A claim while Redis is away fails
   * at once (no client-side queue), so a CONNECT is refused rather than left waiting; the connection comes back by itself.
   */
  static async connect(url: string, keys: RedisKeys, nodeId: string, logger?: { warn(message: string): void }): Promise<SessionLeases> {
    let connected = false
    // Not tried again while connecting: an unreachable Redis (or Sentinel) fails the start instead of waiting for ever.
    const redis = connectRedis(url, { reconnect: () => connected }).client
    let trouble: string | undefined
    redis.on('error', (error: Error) => {
      if (error.message !== trouble) logger?.warn(`session leases: Redis: ${error.message}`)
      trouble = error.message
    })
    redis.on('ready', () => {
      trouble = undefined
    })
    await redis.connect().catch((error: unknown) => {
      redis.disconnect()
      throw error
    })
    connected = true
    return new SessionLeases(redis, keys, nodeId)
  }

  /** Closes the connection (after the broker has closed: its last releases need it). */
  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect())
  }

  /** Called when writes for a session were refused: its lease is another node's, or was never this node's. */
  onLost(listener: (clientId: string) => void): void {
    this.lostListeners.push(listener)
  }

  holds(clientId: string): boolean {
    return this.held.has(clientId)
  }

  /** Who holds the lease in Redis now, or undefined when nobody ever claimed it. */
  async holder(clientId: string): Promise<LeaseHolder | undefined> {
    const value = await this.redis.get(this.keys.lease(clientId))
    return value === null ? undefined : parseToken(value)
  }

  /** Whether `clientId`'s session is in the store: a session let go to another node is, one that ended is not. */
  async sessionStored(clientId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.session(clientId))) === 1
  }

  /**
   * Takes the lease with the next epoch; with `from`, only if `from` (a node id, '' for released; or any of several)
   * holds it now. Resolves whether this node holds it now.
   */
  async claim(clientId: string, from?: string | readonly string[]): Promise<boolean> {
    await this.claiming(clientId)
    const holders = from === undefined ? ['*'] : typeof from === 'string' ? [from] : from
    const token = (await this.redis.eval(CLAIM, 1, this.keys.lease(clientId), this.nodeId, ...holders)) as string | null
    if (token === null) {
      // The hint goes again (a node asking the new holder puts it back first), unless this node holds the lease already.
      if (!this.held.has(clientId)) await this.redis.srem(this.nodeLeases(this.nodeId), clientId)
      return false
    }
    this.held.set(clientId, token)
    return true
  }

  /**
   * Puts `clientId` in this node's set before it claims the lease, and before it asks the holder to let the session go
   * to it: should this node die once the holder has released the lease and before its own claim, the lease is held by
   * nobody, and its recoverer finds the session here and adopts it (ClusterSessionRegistry.adopt takes a released lease).
   */
  async claiming(clientId: string): Promise<void> {
    await this.redis.sadd(this.nodeLeases(this.nodeId), clientId)
  }

  /** Gives the lease up (after the session's last writes are durable): the next claim needs no request. */
  async release(clientId: string): Promise<void> {
    const token = this.held.get(clientId)
    if (token === undefined) return
    this.held.delete(clientId)
    await this.redis.eval(RELEASE, 1, this.keys.lease(clientId), token)
    await this.redis.srem(this.nodeLeases(this.nodeId), clientId)
  }

  /** The client ids `nodeId` claimed leases of (some may have moved on since: check `holder`). */
  claimedBy(nodeId: string): Promise<string[]> {
    return this.redis.smembers(this.nodeLeases(nodeId))
  }

  /** Forgets the set of a node whose sessions have all been recovered. */
  async forgetNode(nodeId: string): Promise<void> {
    await this.redis.del(this.nodeLeases(nodeId))
  }

  // SessionFence

  tokenOf(clientId: string): string | undefined {
    return this.held.get(clientId)
  }

  /** The sessions this node claimed (its set; a lease may have moved on since: the registry checks each). */
  sessionsToRestore(): Promise<string[]> {
    return this.claimedBy(this.nodeId)
  }

  refused(clientId: string): void {
    this.held.delete(clientId)
    for (const listener of this.lostListeners) listener(clientId)
  }

  private nodeLeases(nodeId: string): string {
    return `${this.keys.prefix}tp:{cluster}:leases:${nodeId}`
  }
}

/** `<node>:<epoch>`; the node id may itself hold ':'. */
export function parseToken(token: string): LeaseHolder {
  const colon = token.lastIndexOf(':')
  return { node: token.slice(0, colon), epoch: Number(token.slice(colon + 1)) }
}
