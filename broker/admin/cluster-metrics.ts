import { Gauge, type Registry } from 'prom-client'
import type { ClusterNode } from '../cluster/cluster-node.js'
import { scrapedBy, scrapedMetric } from './scraped-metric.js'

/**
 * A cluster node's figures (cluster/cluster-node.ts), read when scraped; registered only on a node of a cluster. The
 * stream's pending entries cost one XPENDING per scrape. A figure not known (the pending entries while Redis cannot
 * be reached, the renewal time before the first) is NaN, which Prometheus reads as such.
 */
export function clusterMetrics(registry: Registry, node: ClusterNode): void {
  scrapedBy(
    registry,
    'gauge',
    'thermopost_broker_cluster_members_alive',
    'Members of the cluster alive at the last check, this one included',
    undefined,
    () => [['', node.figures().membersAlive]]
  )
  scrapedMetric(registry, 'gauge', {
    name: 'thermopost_broker_cluster_member_info',
    help: 'This run of this node: its node id and member (<node>@<incarnation>); always 1',
    labelNames: ['node', 'member'],
    read: () => [[{ node: node.nodeId, member: node.member }, 1]]
  })
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_cluster_sessions_adopted_total',
    'Sessions this node adopted from dead members',
    undefined,
    () => [['', node.figures().sessionsAdopted]]
  )
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_cluster_messages_relayed_total',
    "Messages between nodes, by direction: out (entries appended to other members' streams) or in (read from a stream for this node)",
    'direction',
    () => [
      ['out', node.figures().relayedOut],
      ['in', node.figures().relayedIn]
    ]
  )
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_cluster_redis_errors_total',
    "Redis errors, by kind: connection (on the node's connections, each failed reconnection included) or command (liveness commands that failed)",
    'kind',
    () => [
      ['connection', node.figures().connectionErrors],
      ['command', node.figures().commandFailures]
    ]
  )
  scrapedBy(
    registry,
    'gauge',
    'thermopost_broker_cluster_liveness_renewal_seconds',
    "How long the last renewal of this node's liveness key took: one round trip to Redis",
    undefined,
    () => [['', node.figures().renewalSeconds ?? Number.NaN]]
  )
  new Gauge({
    name: 'thermopost_broker_cluster_stream_pending_entries',
    help: "Entries of this node's stream read and not yet acknowledged (delivered, waiting for the store's commit)",
    registers: [registry],
    async collect() {
      this.set(await node.pendingEntries().catch(() => Number.NaN))
    }
  })
}
