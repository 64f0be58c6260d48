import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { RedisClient } from '../store/redis-connection.js'
import type { ClusterKeys } from './cluster-keys.js'
import type { ClusterMembership, ReleaseRequests } from './cluster-seams.js'

/** How fast liveness is kept and checked; the defaults notice a dead node within about 4 s. */
export interface MembershipTiming {
  /** Time-to-live of the liveness key. */
  livenessMs: number
  /** How often this node renews its key; well under `livenessMs`, so a busy moment does not look like death. */
  renewMs: number
  /** How often the other nodes' keys are checked. */
  checkMs: number
  /** How long a release request waits for its answer before it is sent again. */
  requestTimeoutMs: number
}

export const defaultMembershipTiming: Readonly<MembershipTiming> = Object.freeze({
  livenessMs: 3000,
  renewMs: 1000,
  checkMs: 1000,
  requestTimeoutMs: 1000
})

/** How often a start under an id whose liveness key is still set looks at that key again. */
const ID_POLL_MS = 100

/** The node id is held by a live process: this one must not start under it. */
export class NodeIdTakenError extends Error {
  constructor(readonly nodeId: string) {
    super(
      `cluster: node id ${nodeId} is in use by a live node (its liveness key is being renewed); ` +
        'start this node under another --node-id (node_id), or stop the other one first'
    )
    this.name = 'NodeIdTakenError'
  }
}

/** A control message on a node's channel. */
type ControlMessage = { kind: 'release'; id: string; from: string; clientId: string } | { kind: 'released'; id: string }

interface WaitingRequest {
  nodeId: string
  resolve(): void
}

/**
 * Which nodes are alive, by their liveness keys in Redis (cluster-keys.ts). Each node registers its incarnation in
 * the nodes hash and keeps `node:<id>` set with a short time-to-live; every `checkMs` it reads all of them, and a
 * registered node whose key is gone is dead: each incarnation is reported once, and `claimRecovery` lets exactly one
 * live node take it over (SET NX on a key named after that incarnation, so a restarted node can be recovered again).
 *
 * Release requests ride on pub/sub, one channel per node: pub/sub drops what nobody hears, so the requester sends
 * again after `requestTimeoutMs` until it hears the answer or finds the node dead — a dead node holds nothing to release.
 */
export class NodeMembership implements ClusterMembership, ReleaseRequests {
  /** New at every start, so the death of this run is told apart from the death of an earlier one. */
  readonly incarnation = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  private readonly alive = new Set<string>()
  /** Each registered node's incarnation, as last read. */
  private readonly incarnations = new Map<string, string>()
  /** `<node> <incarnation>` of every death already reported. */
  private readonly reported = new Set<string>()
  private readonly deadListeners: Array<(nodeId: string) => void> = []
  private readonly idLostListeners: Array<() => void> = []
  private readonly waiting = new Map<string, WaitingRequest>()
  private release: ((clientId: string, toNode: string) => Promise<void>) | undefined
  private timers: NodeJS.Timeout[] = []
  private requestCount = 0
  private trouble: string | undefined
  private stopped = false

  constructor(
    readonly nodeId: string,
    private readonly connections: { commands: RedisClient; subscriber: RedisClient },
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    private readonly timing: MembershipTiming = defaultMembershipTiming
  ) {
    this.alive.add(nodeId)
  }

  /**
   * Takes this node's id: sets its liveness key to this incarnation, unless a live process holds it. The key of an
   * earlier process under this id that is gone (killed: it renews no more) is waited out, since it expires within
   * `livenessMs`; a key renewed meanwhile (its time-to-live goes up, or its value changes) is a live process's, and
   * the id is refused (NodeIdTakenError) rather than shared: two processes under one id would both write for the
   * sessions whose leases name it. Renewing starts at once, so the id stays this process's while the broker restores.
   */
  async claimId(): Promise<void> {
    const { commands } = this.connections
    const key = this.keys.liveness(this.nodeId)
    const deadline = Date.now() + this.timing.livenessMs + this.timing.renewMs
    let seen: { holder: string; ttl: number } | undefined
    while ((await commands.set(key, this.incarnation, 'PX', this.timing.livenessMs, 'NX')) !== 'OK') {
      const [[, holder], [, ttl]] = ((await commands.multi().get(key).pttl(key).exec()) ?? []) as Array<[Error | null, unknown]>
      if (typeof holder === 'string' && typeof ttl === 'number') {
        const renewed = seen !== undefined && (holder !== seen.holder || ttl > seen.ttl)
        if (renewed || Date.now() > deadline) throw new NodeIdTakenError(this.nodeId)
        seen = { holder, ttl }
      }
      await new Promise((resolve) => setTimeout(resolve, ID_POLL_MS))
    }
    this.timers.push(setInterval(() => void this.renew(), this.timing.renewMs))
  }

  /** Registers this node (its id claimed first, unless `claimId` was called) and starts watching the others. */
  async start(): Promise<void> {
    const { commands, subscriber } = this.connections
    if (this.timers.length === 0) await this.claimId()
    const control = this.keys.control(this.nodeId)
    const departures = this.keys.departures
    subscriber.on('smessage', (channel: string, text: string) => {
      if (channel === control) this.onControl(text)
      // A node left cleanly: its key is gone already, so its recovery starts now rather than at the next check.
      else if (channel === departures && text !== this.nodeId && !this.stopped) void this.check()
    })
    await subscriber.ssubscribe(control, departures)
    await commands.hset(this.keys.nodes, this.nodeId, this.incarnation)
    await this.renew()
    await this.check()
    this.timers.push(setInterval(() => void this.check(), this.timing.checkMs))
  }

  /**
   * Stops renewing, removes this node's key (only if it is this incarnation's: a process refused the id leaves the
   * live holder's alone) and tells the others, so one of them takes its sessions over now rather than at expiry
   * (a client coming back on another node gets its session at once, with what the recovery delivers into it).
   */
  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    for (const request of this.waiting.values()) request.resolve()
    this.waiting.clear()
    const { commands } = this.connections
    const deleted = await commands.eval(DELETE_OWN_SCRIPT, 1, this.keys.liveness(this.nodeId), this.incarnation).catch(() => 0)
    if (deleted === 1) await commands.spublish(this.keys.departures, this.nodeId).catch(() => {})
  }

  isAlive(nodeId: string): boolean {
    return this.alive.has(nodeId)
  }

  /** Whether the node was registered and its liveness key found gone at the last check (a node not read yet is not). */
  isDead(nodeId: string): boolean {
    return this.incarnations.has(nodeId) && !this.alive.has(nodeId)
  }

  /** Called once when another process holds this node's id (see renew): this process must stop serving. */
  onIdLost(listener: () => void): void {
    this.idLostListeners.push(listener)
  }

  onNodeDead(listener: (nodeId: string) => void): void {
    this.deadListeners.push(listener)
  }

  async claimRecovery(deadNodeId: string): Promise<boolean> {
    const incarnation = this.incarnations.get(deadNodeId) ?? ''
    // Kept an hour: long after any recovery has finished, and named after the incarnation, so it never blocks a later one.
    const claimed = await this.connections.commands.set(this.keys.recovery(deadNodeId, incarnation), this.nodeId, 'PX', 3_600_000, 'NX')
    return claimed === 'OK'
  }

  /** Forgets a recovered node: it is no longer registered, so it is not reported again. */
  async forget(nodeId: string): Promise<void> {
    const incarnation = this.incarnations.get(nodeId)
    // Only that incarnation: a node started again meanwhile registered a new one, which stays.
    if (incarnation !== undefined) await this.connections.commands.eval(FORGET_SCRIPT, 1, this.keys.nodes, nodeId, incarnation)
    this.incarnations.delete(nodeId)
  }

  requestRelease(nodeId: string, clientId: string): Promise<void> {
    return new Promise((resolve) => {
      const id = `${this.nodeId}:${++this.requestCount}`
      const request: ControlMessage = { kind: 'release', id, from: this.nodeId, clientId }
      const send = (): void => {
        if (!this.waiting.has(id)) return
        if (!this.isAlive(nodeId)) {
          this.finish(id)
          return
        }
        this.publish(nodeId, request)
        setTimeout(send, this.timing.requestTimeoutMs).unref()
      }
      this.waiting.set(id, { nodeId, resolve })
      send()
    })
  }

  onReleaseRequest(release: (clientId: string, toNode: string) => Promise<void>): void {
    this.release = release
  }

  private onControl(text: string): void {
    let message: ControlMessage
    try {
      message = JSON.parse(text) as ControlMessage
    } catch {
      this.logger.warn({ text }, 'cluster: unreadable control message ignored')
      return
    }
    if (message.kind === 'released') {
      this.finish(message.id)
      return
    }
    const release = this.release
    if (release === undefined) return // not serving yet: the requester asks again
    release(message.clientId, message.from).then(
      () => this.publish(message.from, { kind: 'released', id: message.id }),
      (error: unknown) =>
        this.logger.warn({ err: error, clientId: message.clientId }, 'cluster: could not release a session; the requester will ask again')
    )
  }

  private finish(id: string): void {
    const request = this.waiting.get(id)
    if (request === undefined) return
    this.waiting.delete(id)
    request.resolve()
  }

  private publish(nodeId: string, message: ControlMessage): void {
    this.connections.commands.spublish(this.keys.control(nodeId), JSON.stringify(message)).catch(() => {})
  }

  /**
   * Sets this incarnation's liveness key again, unless another process holds it: one that took the id while this one
   * was away past its liveness (a long pause). Then two processes would run as one node; this one gives way (onIdLost).
   */
  private async renew(): Promise<void> {
    try {
      const key = this.keys.liveness(this.nodeId)
      const previous = (await this.connections.commands.eval(RENEW_SCRIPT, 1, key, this.incarnation, this.timing.livenessMs)) as
        | string
        | null
      if (previous !== null && previous !== this.incarnation) {
        if (this.stopped || this.trouble === 'taken') return
        this.trouble = 'taken'
        this.logger.error(
          { node: this.nodeId },
          `cluster: another process took node id ${this.nodeId} while this one was away past its liveness; this one stops`
        )
        for (const listener of this.idLostListeners) listener()
        return
      }
      if (previous === null && this.trouble !== 'lapsed' && this.timers.length > 0 && !this.stopped) {
        this.logger.warn(
          { node: this.nodeId },
          'cluster: this node was away longer than its liveness; other nodes may have recovered its sessions'
        )
        this.trouble = 'lapsed'
      } else if (this.trouble !== undefined) {
        this.trouble = undefined
      }
    } catch (error) {
      this.noteTrouble(error)
    }
  }

  /** Reads every registered node and its liveness key; reports each newly dead incarnation once. */
  private async check(): Promise<void> {
    let registered: Record<string, string>
    let live: Array<string | null>
    try {
      registered = await this.connections.commands.hgetall(this.keys.nodes)
      const ids = Object.keys(registered)
      live = ids.length === 0 ? [] : await this.connections.commands.mget(...ids.map((id) => this.keys.liveness(id)))
    } catch (error) {
      this.noteTrouble(error)
      return
    }
    if (this.stopped) return
    const ids = Object.keys(registered)
    this.incarnations.clear()
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]
      this.incarnations.set(id, registered[id])
      if (id === this.nodeId) continue
      if (live[i] !== null) {
        this.alive.add(id)
        continue
      }
      this.alive.delete(id)
      const death = `${id} ${registered[id]}`
      if (this.reported.has(death)) continue
      this.reported.add(death)
      this.logger.warn({ node: id }, `cluster: node ${id} is dead (its liveness key expired)`)
      for (const listener of this.deadListeners) listener(id)
    }
    for (const id of this.alive) if (!this.incarnations.has(id) && id !== this.nodeId) this.alive.delete(id)
    for (const waiting of [...this.waiting]) if (!this.isAlive(waiting[1].nodeId)) this.finish(waiting[0])
  }

  private noteTrouble(error: unknown): void {
    const message = (error as Error).message
    if (message === this.trouble) return
    this.trouble = message
    this.logger.warn({ err: error }, `cluster: Redis trouble while keeping liveness: ${message}`)
  }
}

/** Removes a node from the nodes hash only if it still has the incarnation that was recovered. */
const FORGET_SCRIPT = `if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('hdel', KEYS[1], ARGV[1]) end return 0`

/** Deletes a liveness key only while it holds the given incarnation. */
const DELETE_OWN_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`

/** Sets a liveness key (KEYS[1]) to an incarnation (ARGV[1], time-to-live ARGV[2] ms) unless another holds it; answers the value before. */
const RENEW_SCRIPT = `local current = redis.call('get', KEYS[1])
if current and current ~= ARGV[1] then return current end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return current`
