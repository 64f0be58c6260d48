import { pathToFileURL } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { startRedisServer } from '../helpers/redis-server.js'
import { publishBurst, QUIET_MS } from './burst-publisher.js'
import { type BenchNode, clusterCpuSeconds, startBenchNode, stopBenchNodes } from './cluster-bench-nodes.js'

/**
 * Cross-node routing against one node: two `thermopost broker --cluster` nodes on one redis-server (appendfsync
 * always). `one node` has publisher and subscriber on n1 (the cluster's store and machinery, no hop); `cross-node`
 * has the publisher on n1 and the subscriber on n2, so every message goes through n2's stream. QoS 0 is sent as fast
 * as the client can; QoS 1 keeps 200 publishes unacknowledged (burst-publisher.ts) (each PUBACK waits for the store and the append).
 * Broker CPU is both nodes' (and Redis's) user + system time per message. The nodes run at their default queue limit:
 * a cross-node burst must be slowed by the subscriber's back-pressure, not cut by the limit.
 */
export interface CrossNodeFigure {
  qos: 0 | 1
  placement: 'one node' | 'cross-node'
  messages: number
  /** How many reached the subscriber (QoS 0 may be dropped under load). */
  delivered: number
  perSecond: number
  /** Microseconds of CPU (both nodes) per message. */
  brokerCpuUs: number
  redisCpuUs: number
  /** The bench's mqtt.js clients' use of their core over the burst: at 80 % or more, `perSecond` is theirs. */
  clientCpuPercent: number
}

const COUNTS = { 0: 20_000, 1: 5_000 } as const

/** Resolves with how many arrived: all `count`, or fewer once nothing has come for QUIET_MS (QoS 0 may be dropped). */
function received(client: MqttClient, count: number): { done: Promise<number>; started: () => void } {
  let got = 0
  let timer: NodeJS.Timeout | undefined
  let finish: (got: number) => void = () => {}
  const done = new Promise<number>((resolve) => {
    finish = resolve
  })
  const quiet = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => finish(got), QUIET_MS)
  }
  client.on('message', () => {
    if (++got === count) {
      clearTimeout(timer)
      finish(got)
    } else quiet()
  })
  return { done, started: quiet }
}

async function measure(
  publishTo: BenchNode,
  subscribeTo: BenchNode,
  nodes: BenchNode[],
  redisPid: number,
  qos: 0 | 1
): Promise<Omit<CrossNodeFigure, 'placement'>> {
  const count = COUNTS[qos]
  const subscriber = await mqtt.connectAsync(subscribeTo.url, { clientId: `bench-sub-${qos}-${Date.now()}`, reconnectPeriod: 0 })
  await subscriber.subscribeAsync('bench/#', { qos })
  await new Promise((resolve) => setTimeout(resolve, 500)) // the publisher's node hears of the filter
  const publisher = await mqtt.connectAsync(publishTo.url, { clientId: `bench-pub-${qos}-${Date.now()}`, reconnectPeriod: 0 })
  const arrivals = received(subscriber, count)
  const [before, started] = [clusterCpuSeconds(nodes, redisPid), performance.now()]
  await publishBurst(publisher, 'bench', qos, count)
  arrivals.started()
  const delivered = await arrivals.done
  // A short count waited QUIET_MS for more: not part of the delivery time.
  const seconds = (performance.now() - started - (delivered < count ? QUIET_MS : 0)) / 1000
  const after = clusterCpuSeconds(nodes, redisPid)
  const figure = {
    qos,
    messages: count,
    delivered,
    perSecond: delivered / seconds,
    brokerCpuUs: ((after.nodes - before.nodes) / count) * 1e6,
    redisCpuUs: ((after.redis - before.redis) / count) * 1e6,
    clientCpuPercent: ((after.clients - before.clients) / seconds) * 100
  }
  await Promise.all([publisher.endAsync(), subscriber.endAsync()])
  return figure
}

export async function runClusterCrossNodeBench(): Promise<CrossNodeFigure[]> {
  const redis = await startRedisServer()
  const nodes: BenchNode[] = []
  try {
    nodes.push(await startBenchNode(redis.url, 'n1'), await startBenchNode(redis.url, 'n2'))
    const redisPid = redis.pid
    const figures: CrossNodeFigure[] = []
    for (const qos of [0, 1] as const) {
      figures.push({ placement: 'one node', ...(await measure(nodes[0]!, nodes[0]!, nodes, redisPid, qos)) })
      figures.push({ placement: 'cross-node', ...(await measure(nodes[0]!, nodes[1]!, nodes, redisPid, qos)) })
    }
    return figures
  } finally {
    await stopBenchNodes(nodes)
    await redis.stop()
  }
}

export function renderClusterCrossNodeBench(figures: readonly CrossNodeFigure[]): string {
  const row = (f: CrossNodeFigure): string => {
    const single = figures.find((other) => other.qos === f.qos && other.placement === 'one node')!
    const ratio = f.placement === 'one node' ? '1.00' : (f.perSecond / single.perSecond).toFixed(2)
    return `| QoS ${f.qos} | ${f.placement} | ${f.delivered.toLocaleString('en')} of ${f.messages.toLocaleString('en')} | ${Math.round(f.perSecond).toLocaleString('en')} | ${ratio} | ${Math.round(f.brokerCpuUs)} | ${Math.round(f.redisCpuUs)} | ${Math.round(f.clientCpuPercent)} |`
  }
  return [
    'Cluster: two nodes on one Redis (appendfsync always); publisher on n1, subscriber on n1 (one node) or n2 (cross-node)',
    '',
    '| QoS | placement | delivered | delivered/s | vs one node | node CPU µs/msg | Redis CPU µs/msg | clients CPU % |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(row),
    '',
    "The load is this process's mqtt.js clients: where their CPU is 80 % or more, delivered/s is bound by them, not by the cluster."
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderClusterCrossNodeBench(await runClusterCrossNodeBench()))
}
