import type { SparkplugMetric } from '../../common/sparkplug/sparkplug-payload.js'
import { BD_SEQ_METRIC } from '../../common/sparkplug/thermostat-metrics.js'
import type { SparkplugMetricValue } from '../api/api-types.js'

/**
 * What the host knows of an edge node's own metrics (its properties, counters, whatever its NBIRTH names): the
 * aliases the NBIRTH gave them and their last values by name. The session's bdSeq and the `Node Control/`
 * commands are the protocol's, not the node's news, and are left out.
 */
export interface NodeMetrics {
  aliases: Map<number, string>
  values: Record<string, SparkplugMetricValue>
}

/** What the host tells of an edge node: its metrics' last values, and since when they are stale (after its NDEATH). */
export interface EdgeNodeReport {
  metrics: Record<string, SparkplugMetricValue>
  staleSince?: number
}

const NODE_CONTROL = 'Node Control/'

/** An edge node's metrics as its NBIRTH gives them. */
export function nodeFromBirth(metrics: readonly SparkplugMetric[]): NodeMetrics {
  const node: NodeMetrics = { aliases: new Map(), values: {} }
  for (const metric of metrics) {
    const { name } = metric
    if (name === undefined || !isNodeNews(name)) continue
    if (metric.alias !== undefined) node.aliases.set(metric.alias, name)
    node.values[name] = metric.value
  }
  return node
}

/** Takes an NDATA's values (by name, or by the NBIRTH's alias); true when one of them changed. */
export function applyNodeMetrics(node: NodeMetrics, metrics: readonly SparkplugMetric[]): boolean {
  let changed = false
  for (const metric of metrics) {
    const name = metric.name ?? (metric.alias === undefined ? undefined : node.aliases.get(metric.alias))
    if (name === undefined || !isNodeNews(name) || node.values[name] === metric.value) continue
    node.values[name] = metric.value
    changed = true
  }
  return changed
}

function isNodeNews(name: string): boolean {
  return name !== BD_SEQ_METRIC && !name.startsWith(NODE_CONTROL)
}
