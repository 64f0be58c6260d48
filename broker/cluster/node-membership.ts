import type { Logger } from 'pino'
import type { RedisClient } from '../store/redis-connection.js'
import { type ClusterKeys, memberOf, nodeOfMember } from './cluster-keys.js'
import type { ClusterMembership, ReleaseRequests } from './cluster-seams.js'
import { RecoveryClaims } from './recovery-claims.js'

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

/** A control message on a node's channel; `to` is the member it is meant for (a newer run of the node ignores it). */
type ControlMessage =
  | { kind: 'release'; id: string; from: string; to: string; clientId: string }
  | { kind: 'released'; id: string; to: string }

interface WaitingRequest {
  member: string
  resolve(): void
}

/**
 * Which members are alive, by their nodes' liveness keys in Redis (cluster-keys.ts). Each member registers in the
 * members hash and keeps `node:<id>` set to its incarnation with a short time-to-live; every `checkMs` it reads the
 * hash and the keys, and a registered member is dead once its node's key is gone or names another incarnation (the
 * node was restarted: the new run finds its previous one dead like everyone else, and one member recovers it). Each
 * death is reported once, and `claimRecovery` lets exactly one live member take it over
 * (recovery-claims.ts).
 *
 * Release requests ride on pub/sub, one channel per node: pub/sub drops what nobody hears, so the requester sends
 * again after `requestTimeoutMs` until it hears the answer or finds the member dead — a dead member holds nothing.
 */
export class NodeMembership implements ClusterMembership, ReleaseRequests {
  readonly member: string
  private readonly alive = new Set<string>()
  /** The members registered at the last read. */
  private registered = new Set<string>()
  private readonly reported = new Set<string>()
  private readonly deadListeners: Array<(member: string) => void> = []
  private readonly evictedListeners: Array<(why: string) => void> = []
  private evicted = false
  /**
   * Since when this member's liveness key has named it at every renewal (undefined: a renewal failed). Members are
   * judged dead only once this is `livenessMs` old: after a Redis outage every member's key may have run out at once,
   * and each must have set its own again before it judges the others by theirs.
   */
  private steadySince: number | undefined
  private readonly waiting = new Map<string, WaitingRequest>()
  private readonly claims: RecoveryClaims
  private release: ((clientId: string, toMember: string) => Promise<void>) | undefined
  private timers: NodeJS.Timeout[] = []
  private requestCount = 0
  private trouble: string | undefined
  private stopped = false
  /** Liveness commands that failed (for metrics). */
  commandFailures = 0
  /** How long the last renewal of the liveness key took: one round trip to Redis (for metrics). */
  renewalSeconds: number | undefined

  constructor(
    readonly nodeId: string,
    readonly incarnation: string,
    private readonly connections: { commands: RedisClient; subscriber: RedisClient },
    private readonly keys: ClusterKeys,
    private readonly logger: Logger,
    private readonly timing: MembershipTiming = defaultMembershipTiming
  ) {
    this.member = memberOf(nodeId, incarnation)
    this.alive.add(this.member)
    this.claims = new RecoveryClaims(connections.commands, keys, this.member)
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
    // A new member doubts nothing of its own: it judges the others at once (a restarted node recovers its previous run).
    this.steadySince = Date.now() - this.timing.livenessMs
    this.timers.push(setInterval(() => void this.renew(), this.timing.renewMs))
  }

  /**
   * Registers this member (its node id claimed first, unless `claimId` was called) and starts watching the others.
   * The liveness key names this run before the registration: registered first, a member checking in between would
   * find it registered with no key naming it, and report it dead.
   */
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
    await this.renew()
    await commands.hset(this.keys.nodes, this.member, Date.now())
    await this.check()
    this.timers.push(setInterval(() => void this.check(), this.timing.checkMs))
  }

  /**
   * Stops renewing, removes this node's key (only if it names this run: a process refused the id leaves the live
   * holder's alone) and tells the others, so one of them takes its sessions over now rather than at expiry (a client
   * coming back on another node gets its session at once, with what the recovery delivers into it).
   */
  async stop(): Promise<void> {
    this.stopped = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    for (const request of this.waiting.values()) request.resolve()
    this.waiting.clear()
    const { commands } = this.connections
    const deleted = await commands.eval(DELETE_OWN_LIVENESS_SCRIPT, 1, this.keys.liveness(this.nodeId), this.incarnation).catch(() => 0)
    if (deleted === 1) await commands.spublish(this.keys.departures, this.nodeId).catch(() => {})
  }

  isAlive(member: string): boolean {
    return this.alive.has(member)
  }

  async aliveNow(member: string): Promise<boolean> {
    const node = nodeOfMember(member)
    return (await this.connections.commands.get(this.keys.liveness(node))) === member.slice(node.length + 1)
  }

  /** The members alive at the last check, this one included. */
  get aliveCount(): number {
    return this.alive.size
  }

  /** Whether the member was registered and found dead at the last check (a member not read yet is not). */
  isDead(member: string): boolean {
    return this.registered.has(member) && !this.alive.has(member)
  }

  onMemberDead(listener: (member: string) => void): void {
    this.deadListeners.push(listener)
  }

  /**
   * Called once when this member must stop serving (see renew): another process holds its node id, or the cluster
   * found it dead (a long pause, or Redis out of reach past its liveness) and recovers its sessions elsewhere.
   */
  onEvicted(listener: (why: string) => void): void {
    this.evictedListeners.push(listener)
  }

  claimRecovery(deadMember: string): Promise<boolean> {
    return this.claims.claim(deadMember)
  }

  async recoveryClaimed(deadMember: string): Promise<boolean> {
    return this.isAlive((await this.claims.claimant(deadMember)) ?? '')
  }

  async takeOverRecoveries(deadRecoverer: string): Promise<string[]> {
    return this.claims.takeOver(deadRecoverer, await this.connections.commands.hkeys(this.keys.nodes))
  }

  /**
   * Resolves while this member's liveness key names it, and rejects otherwise: what it does next (a stream entry
   * acknowledged once its deliveries are durable) is safe only while no other member may be recovering it. A key
   * that ran out is set again, or this member is evicted, at once rather than at the next renewal.
   */
  async confirmMember(): Promise<void> {
    if (await this.aliveNow(this.member)) return
    void this.renew()
    throw new Error(`cluster: this member (${this.member}) is not the live run of node ${this.nodeId} now`)
  }

  /** Looks at this member's liveness at once (its writes were refused for a session: it may have been recovered). */
  checkOwnLiveness(): void {
    void this.renew()
  }

  /** Forgets a recovered member: it is no longer registered, so it is not reported again. */
  async forget(member: string): Promise<void> {
    await this.connections.commands.hdel(this.keys.nodes, member)
    this.registered.delete(member)
  }

  requestRelease(member: string, clientId: string): Promise<void> {
    return new Promise((resolve) => {
      const id = `${this.member}:${++this.requestCount}`
      const request: ControlMessage = { kind: 'release', id, from: this.member, to: member, clientId }
      const send = (): void => {
        if (!this.waiting.has(id)) return
        if (!this.isAlive(member)) {
          this.finish(id)
          return
        }
        this.publish(member, request)
        setTimeout(send, this.timing.requestTimeoutMs).unref()
      }
      this.waiting.set(id, { member, resolve })
      send()
    })
  }

  onReleaseRequest(release: (clientId: string, toMember: string) => Promise<void>): void {
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
    if (message.to !== this.member) return // meant for an earlier run of this node
    if (message.kind === 'released') {
      this.finish(message.id)
      return
    }
    const release = this.release
    if (release === undefined) return // not serving yet: the requester asks again
    release(message.clientId, message.from).then(
      () => this.publish(message.from, { kind: 'released', id: message.id, to: message.from }),
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

  private publish(member: string, message: ControlMessage): void {
    this.connections.commands.spublish(this.keys.control(nodeOfMember(member)), JSON.stringify(message)).catch(() => {})
  }

  /**
   * Keeps this run's liveness key (RENEW_SCRIPT). A key another process holds now (it took the id while this one was
   * away past its liveness), or one that ran out while another member claimed this one's recovery, means the cluster
   * has moved on without this member: its sessions are, or are being, adopted elsewhere. It must stop serving them
   * (onEvicted). A key that ran out with no claim yet is set again: nobody has taken anything over.
   */
  private async renew(): Promise<void> {
    if (this.evicted || this.stopped) return
    let answer: string
    try {
      const keys = [this.keys.liveness(this.nodeId), this.keys.recovery(this.member)]
      const sent = performance.now()
      answer = (await this.connections.commands.eval(RENEW_SCRIPT, 2, ...keys, this.incarnation, this.timing.livenessMs)) as string
      this.renewalSeconds = (performance.now() - sent) / 1000
    } catch (error) {
      this.steadySince = undefined
      this.noteTrouble(error)
      return
    }
    if (this.evicted || this.stopped) return
    if (answer === 'own') {
      this.steadySince ??= Date.now()
      this.trouble = undefined
    } else if (answer === 'lapsed') {
      this.steadySince = Date.now()
      this.logger.warn({ node: this.nodeId }, 'cluster: this node was away longer than its liveness; nobody had taken it over yet')
      this.trouble = undefined
    } else if (answer === 'recovered') {
      this.evict(`cluster: this node was away longer than its liveness and found dead; its sessions are recovered elsewhere`)
    } else {
      this.evict(`cluster: another process took node id ${this.nodeId} while this one was away past its liveness; this one stops`)
    }
  }

  private evict(why: string): void {
    this.evicted = true
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    this.logger.error({ node: this.nodeId, member: this.member }, why)
    for (const listener of this.evictedListeners) listener(why)
  }

  /** Reads every registered member and its node's liveness key; reports each newly dead member once. */
  private async check(): Promise<void> {
    let members: string[]
    let nodes: string[]
    let live: Array<string | null>
    try {
      members = await this.connections.commands.hkeys(this.keys.nodes)
      nodes = [...new Set(members.map(nodeOfMember))]
      live = nodes.length === 0 ? [] : await this.connections.commands.mget(...nodes.map((id) => this.keys.liveness(id)))
    } catch (error) {
      this.noteTrouble(error)
      return
    }
    if (this.stopped || this.evicted) return
    // Away itself (a pause, Redis out of reach) this member judges nobody: the others' keys may have run out for the
    // same reason, and they are setting them again now.
    const judging = this.steadySince !== undefined && Date.now() - this.steadySince >= this.timing.livenessMs
    const running = new Set<string>()
    for (let i = 0; i < nodes.length; i++) if (live[i] !== null) running.add(memberOf(nodes[i], live[i]!))
    // A member seen alive that left the registry was recovered and forgotten by another member between two checks
    // (under load a recoverer can be that quick): it died all the same, and this member's listeners hear so.
    const vanished = [...this.alive].filter((member) => member !== this.member && !members.includes(member))
    this.registered = new Set(members)
    for (const member of vanished) this.reportDead(member, 'was found dead and recovered by another node')
    for (const member of members) {
      if (member === this.member) continue
      if (running.has(member)) {
        this.alive.add(member)
        // Back before anyone claimed it (claimRecovery refused): should it die later, that is reported too.
        this.reported.delete(member)
        continue
      }
      if (!judging) continue
      const node = nodeOfMember(member)
      const restarted = [...running].some((other) => nodeOfMember(other) === node)
      this.reportDead(member, restarted ? `was restarted; its previous run ${member} is dead` : 'is dead (its liveness key expired)')
    }
    for (const waiting of [...this.waiting]) if (!this.isAlive(waiting[1].member)) this.finish(waiting[0])
  }

  /** Tells the listeners of a member's death, once. */
  private reportDead(member: string, how: string): void {
    this.alive.delete(member)
    if (this.reported.has(member)) return
    this.reported.add(member)
    const node = nodeOfMember(member)
    this.logger.warn({ node, member }, `cluster: node ${node} ${how}`)
    for (const listener of this.deadListeners) listener(member)
  }

  private noteTrouble(error: unknown): void {
    this.commandFailures++
    const message = (error as Error).message
    if (message === this.trouble) return
    this.trouble = message
    this.logger.warn({ err: error }, `cluster: Redis trouble while keeping liveness: ${message}`)
  }
}

/** Deletes this node's liveness key if it still names this run (a newer run of the node keeps its own). */
const DELETE_OWN_LIVENESS_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`

/**
 * Keeps a member's liveness key (KEYS[1]: the node's key, KEYS[2]: the member's recovery claim; ARGV: its
 * incarnation, the time-to-live in ms). Answers 'own' (it named the member: its time-to-live is set again), 'lapsed'
 * (it had run out and nobody claims the member's recovery: set again), 'recovered' (run out and the recovery claimed:
 * left unset, so the member is never alive again), or the incarnation of another process holding it.
 */
const RENEW_SCRIPT = `local current = redis.call('get', KEYS[1])
if current == ARGV[1] then redis.call('pexpire', KEYS[1], ARGV[2]) return 'own' end
if current then return current end
if redis.call('exists', KEYS[2]) == 1 then return 'recovered' end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'lapsed'`
