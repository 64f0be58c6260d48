/**
 * The seams between the cluster's parts (issue 16), so membership, routing and sessions can be built and tested
 * apart. A cluster is broker nodes sharing one Redis: each node has an id and keeps a liveness key with a short
 * time-to-live. Each run of a node is a member (`<node id>@<incarnation>`, cluster-keys.ts), and members hold the
 * sessions whose lease they have: a restarted node is a new member, and its previous run is recovered like any dead one.
 */

/** The members of the cluster and which of them are alive. */
export interface ClusterMembership {
  /** This run of this node: what its leases, stream and filters are held as. */
  readonly member: string
  /** Whether the member is alive: its node's liveness key is there and names its run (as last seen; this one is). */
  isAlive(member: string): boolean
  /**
   * Whether the member's node's liveness key names its run now, read from Redis. True means no recovery of it has been
   * claimed yet: a member renews its key only while no claim names it (recovery-claims.ts).
   */
  aliveNow(member: string): Promise<boolean>
  /** Called once for each member found dead: its node's liveness key expired, or names a newer run. */
  onMemberDead(listener: (member: string) => void): void
  /** Resolves true for exactly one live member per dead member: the one that then recovers it. */
  claimRecovery(deadMember: string): Promise<boolean>
  /** Whether a live member has claimed the dead member's recovery: it will adopt the dead member's sessions. */
  recoveryClaimed(deadMember: string): Promise<boolean>
  /**
   * Takes over the recoveries a dead recoverer had claimed and not finished (its claims, and theirs in turn): called
   * by the member that won its own recovery. Resolves the members whose recovery is this member's now.
   */
  takeOverRecoveries(deadRecoverer: string): Promise<string[]>
}

/** How a node asks another to give up a session it holds (a takeover across nodes). */
export interface ReleaseRequests {
  /**
   * Asks `member` to end its connection of `clientId` (Session Taken Over) and release the session's lease, with
   * everything it acknowledged made durable first. Resolves once it has, or once the member is found dead.
   */
  requestRelease(member: string, clientId: string): Promise<void>
  /** Serves other members' requests: `release` resolves once this member has let the session go to `toMember`. */
  onReleaseRequest(release: (clientId: string, toMember: string) => Promise<void>): void
}

/** What the routing side does while a live session moves between nodes (session-relay.ts). */
export interface SessionHandovers {
  /**
   * This member lets `clientId` go to `toMember`: its messages, plain subscriptions to `filters`, follow it there.
   * Resolves once the handover is recorded in Redis (handover-records.ts): only then is the lease released.
   */
  handingOver(clientId: string, filters: readonly string[], toMember: string): Promise<void>
  /** This node is taking `clientId` on: messages relayed for it wait until `arrived`. */
  expecting(clientId: string): void
  /**
   * The takeover of `clientId` ended: `resumed`, its session was restored here from the store, with what it had
   * elsewhere; else there was none (a new session, or the takeover failed), and no copy of anything can come twice.
   */
  arrived(clientId: string, resumed: boolean): void
  /** A dead node's session was adopted here (node-recovery.ts). */
  adopted(clientId: string): void
}

/** What a recovering member takes over from a dead member's inbound stream. */
export interface StreamRecovery {
  /**
   * Delivers what is left in the dead member's inbound stream (read but unacknowledged, and unread) to the
   * sessions of `clientIds` only — they are here now — then removes that stream and the dead member's filters; what
   * other members append to it afterwards comes here, to the same sessions.
   */
  drain(deadMember: string, clientIds: ReadonlySet<string>): Promise<void>
}

/** What a node's session side needs of the rest of its cluster node (cluster-node.ts serves them all). */
export interface ClusterSeams {
  readonly membership: ClusterMembership
  readonly releases: ReleaseRequests
  readonly streams: StreamRecovery
  /** Absent where sessions are tested without routing. */
  readonly handovers?: SessionHandovers
}
