import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { Broker } from '../../broker/broker.js'
import type { StreamRecovery } from '../../broker/cluster/cluster-seams.js'
import { clusterSessions } from '../../broker/cluster/cluster-sessions.js'
import { SessionLeases } from '../../broker/cluster/session-lease.js'
import type { BrokerOptions } from '../../broker/options.js'
import { RedisStore } from '../../broker/store/redis.js'
import { RedisKeys } from '../../broker/store/redis-keys.js'
import type { InProcessCluster, StandInNode } from './in-process-cluster.js'

export interface ClusterSessionNode {
  broker: Broker
  /** mqtt://127.0.0.1:PORT */
  url: string
  port: number
  store: RedisStore
  leases: SessionLeases
  seams: StandInNode
  /** What the node logged at warn level and above. */
  warnings(): string[]
}

/**
 * An in-process broker node of a cluster on `redisUrl` (sharing `keyPrefix` with its other nodes): the fenced Redis
 * store, the cluster session registry and dead-node recovery, with `cluster` as its membership (and `sessionParts`'
 * stream recovery, when given, instead of its stand-in); closed after the test.
 */
export async function startClusterSessionNode(
  t: TestContext,
  cluster: InProcessCluster,
  redisUrl: string,
  keyPrefix: string,
  nodeId: string,
  options: Partial<BrokerOptions> = {},
  sessionParts: { streams?: StreamRecovery; recoveryWaitMs?: number } = {}
): Promise<ClusterSessionNode> {
  const seams = cluster.node(nodeId)
  const said: string[] = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => said.push(line) })
  const leases = await SessionLeases.connect(redisUrl, new RedisKeys(keyPrefix), nodeId, { warn: (text) => said.push(text) })
  const store = new RedisStore({ url: redisUrl, keyPrefix, fence: leases, logger: { warn: (text) => said.push(text) } })
  const streams = sessionParts.streams ?? seams
  const { recoveryWaitMs } = sessionParts
  const sessions = clusterSessions({ store, leases, logger, recoveryWaitMs, seams: { membership: seams, releases: seams, streams } })
  const broker = new Broker(options, { store, logger, sessions })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await broker.close()
    await leases.close()
  })
  return { broker, url: `mqtt://127.0.0.1:${port}`, port, store, leases, seams, warnings: () => said }
}
