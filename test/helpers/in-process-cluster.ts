import type { ClusterMembership, ReleaseRequests, StreamRecovery } from '../../broker/cluster/cluster-seams.js'

/** One node's side of the cluster's seams, with what was asked of its stream recovery. */
export interface StandInNode extends ClusterMembership, ReleaseRequests, StreamRecovery {
  readonly drains: Array<{ deadNodeId: string; clientIds: string[] }>
}

/**
 * The cluster's seams (cluster-seams.ts) for nodes in one test process, without Redis (each node is one member, named
 * by its node id, for the whole test): membership, release requests
 * called straight on the other node, and a stream recovery that only records what it was asked. Sessions are tested
 * apart from routing with it; a node dies when the test says so (`declareDead`), as its liveness key would expire.
 */
export class InProcessCluster {
  private readonly alive = new Set<string>()
  private readonly deadListeners = new Map<string, Array<(nodeId: string) => void>>()
  private readonly releasers = new Map<string, (clientId: string, toNode: string) => Promise<void>>()
  /** Dead node -> the node whose claim recovers it. */
  private readonly recoveryClaims = new Map<string, string>()

  node(nodeId: string): StandInNode {
    this.alive.add(nodeId)
    const cluster = this
    const drains: StandInNode['drains'] = []
    return {
      member: nodeId,
      drains,
      isAlive: (other) => other === nodeId || this.alive.has(other),
      aliveNow: async (other) => other === nodeId || this.alive.has(other),
      onMemberDead(listener) {
        const listeners = cluster.deadListeners.get(nodeId) ?? []
        listeners.push(listener)
        cluster.deadListeners.set(nodeId, listeners)
      },
      claimRecovery: async (deadNodeId) => {
        if (this.recoveryClaims.has(deadNodeId)) return false
        this.recoveryClaims.set(deadNodeId, nodeId)
        return true
      },
      recoveryClaimed: async (deadNodeId) => this.alive.has(this.recoveryClaims.get(deadNodeId) ?? ''),
      // A node here dies only when the test says so, never in the middle of a recovery it runs.
      takeOverRecoveries: async () => [],
      requestRelease: async (other, clientId) => {
        const release = this.releasers.get(other)
        if (this.alive.has(other) && release !== undefined) await release(clientId, nodeId)
      },
      onReleaseRequest: (release) => {
        this.releasers.set(nodeId, release)
      },
      drain: async (deadNodeId, clientIds) => {
        drains.push({ deadNodeId, clientIds: [...clientIds].sort() })
      }
    }
  }

  /** A node is a member (alive) without taking part in this process (one running as a child process). */
  join(nodeId: string): void {
    this.alive.add(nodeId)
  }

  /** `claimant` (a member, in this process or not) has claimed `deadNodeId`'s recovery before anyone here could. */
  claimRecoveryFor(deadNodeId: string, claimant: string): void {
    this.recoveryClaims.set(deadNodeId, claimant)
  }

  /** The node is gone: every live node is told, as when its liveness key expires. */
  declareDead(nodeId: string): void {
    this.alive.delete(nodeId)
    this.releasers.delete(nodeId)
    for (const [listenerNode, listeners] of this.deadListeners) {
      if (this.alive.has(listenerNode)) for (const listener of listeners) listener(nodeId)
    }
  }
}
