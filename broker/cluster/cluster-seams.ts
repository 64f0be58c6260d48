/**
 * The seams between the cluster's parts (issue 16), so membership, routing and sessions can be built and tested
 * apart. A cluster is broker nodes sharing one Redis: each node has an id, keeps a liveness key with a short
 * time-to-live, and holds the sessions whose lease it has.
 */

/** The nodes of the cluster and which of them are alive. */
export interface ClusterMembership {
  readonly nodeId: string
  /** Whether the node's liveness key is there (as last seen; this node is always alive to itself). */
  isAlive(nodeId: string): boolean
  /** Called once for each node found dead: its liveness key expired. */
  onNodeDead(listener: (nodeId: string) => void): void
  /** Resolves true for exactly one live node per dead node: the one that then recovers it. */
  claimRecovery(deadNodeId: string): Promise<boolean>
}

/** How a node asks another to give up a session it holds (a takeover across nodes). */
export interface ReleaseRequests {
  /**
   * Asks `nodeId` to end its connection of `clientId` (Session Taken Over) and release the session's lease, with
   * everything it acknowledged made durable first. Resolves once it has, or once the node is found dead.
   */
  requestRelease(nodeId: string, clientId: string): Promise<void>
  /** Serves other nodes' requests: `release` resolves once this node has let the session go to `toNode`. */
  onReleaseRequest(release: (clientId: string, toNode: string) => Promise<void>): void
}

/** What the routing side does while a live session moves between nodes (session-relay.ts). */
export interface SessionHandovers {
  /** This node lets `clientId` go to `toNode`: its messages, plain subscriptions to `filters`, follow it there. */
  handingOver(clientId: string, filters: readonly string[], toNode: string): void
  /** This node is taking `clientId` on: messages relayed for it wait until `arrived`. */
  expecting(clientId: string): void
  /** The session was restored here, or its takeover ended without it. */
  arrived(clientId: string): void
  /** A dead node's session was adopted here (node-recovery.ts). */
  adopted(clientId: string): void
}

/** What a recovering node takes over from a dead node's inbound stream. */
export interface StreamRecovery {
  /**
   * Delivers what is left in the dead node's inbound stream (read but unacknowledged, and unread) to the
   * sessions of `clientIds` only — they are on this node now — then removes that stream and the dead node's filters.
   */
  drain(deadNodeId: string, clientIds: ReadonlySet<string>): Promise<void>
}

/** What a node's session side needs of the rest of its cluster node (cluster-node.ts serves them all). */
export interface ClusterSeams {
  readonly membership: ClusterMembership
  readonly releases: ReleaseRequests
  readonly streams: StreamRecovery
  /** Absent where sessions are tested without routing. */
  readonly handovers?: SessionHandovers
}
