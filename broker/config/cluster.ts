import { hostname } from 'node:os'
import type { ConfigProblem } from '../../common/config/config-problem.js'
import type { ClusterSettings } from '../cluster/cluster-node.js'
import type { BrokerConfig } from './broker-config-schema.js'

/**
 * The cluster a config asks for, if any. `cluster` names the shared Redis, which is then the store too, so `store`
 * (other than redis) and `redis_url` may not be given with it; `node_id` means nothing without it. The node id
 * defaults to the host name and the first listener's port (the process id when that port is 0, picked at random),
 * so two nodes on one host differ.
 */
export function resolveCluster(
  config: BrokerConfig,
  firstPort: number
): { cluster: ClusterSettings | undefined; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  if (config.cluster === undefined) {
    if (config.node_id !== undefined)
      problems.push({ path: ['node_id'], message: 'is for a cluster node: add cluster (--cluster redis://HOST:PORT)' })
    return { cluster: undefined, problems }
  }
  if (config.store !== undefined && config.store !== 'redis') {
    problems.push({ path: ['store'], message: `cannot be ${config.store} in a cluster: the cluster's Redis is the store` })
  }
  if (config.redis_url !== undefined) {
    problems.push({ path: ['redis_url'], message: "is not for a cluster node: the cluster's Redis (cluster) is the store" })
  }
  const nodeId =
    config.node_id ??
    `${hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 40)}-${firstPort === 0 ? process.pid : firstPort}`
  return { cluster: { url: config.cluster, nodeId, keyPrefix: config.redis_key_prefix }, problems }
}
