import { pathToFileURL } from 'node:url'
import { startRedisServer } from '../helpers/redis-server.js'
import { type BenchNode, clusterCpuSeconds, startBenchNode, stopBenchNodes } from './cluster-bench-nodes.js'
import { buildNativePrograms } from './native-build.js'
import { nativeProblems, startNativeFanIn } from './native-load-generator.js'
import { cpuSeconds } from './proc.js'
import { GENERATOR_CPU_LIMIT_PERCENT } from './summary.js'

/**
 * Cross-node routing against one node: two `thermopost broker --cluster` nodes on one redis-server (appendfsync
 * always). `one node` has the publishers and the subscriber on n1 (the cluster's store and machinery, no hop);
 * `cross-node` has the publishers on n1 and the subscriber on n2, so every message goes through n2's stream. The load
 * is the native generator's fan-in (native/load-generator.c): PUBLISHERS publishers on bench/<n>, one subscriber on
 * bench/#; QoS 0 as fast as n1 reads, QoS 1 with WINDOW unacknowledged per publisher (each PUBACK waits for the
 * store and the append). Figures are read over a window after a warm-up. Broker CPU is both nodes' user + system
 * time per delivered message, Redis's too; the generator's core is reported, and a run above 80 % of it is invalid.
 * The nodes run at their default queue limit: a cross-node flood must be slowed by back-pressure, not cut by the limit.
 */
export interface CrossNodeFigure {
  qos: 0 | 1
  placement: 'one node' | 'cross-node'
  /** In the window: PUBLISHes sent, and how many reached the subscriber (QoS 0 may be dropped under load). */
  published: number
  delivered: number
  perSecond: number
  /** Microseconds of CPU (both nodes) per delivered message. */
  brokerCpuUs: number
  redisCpuUs: number
  /** The load generator's use of its core over the window: at 80 % or more the run is invalid. */
  generatorCpuPercent: number
  problems: string[]
}

const LOAD = { kind: 'fan-in', publishers: 4, window: 50, persistentSubscriber: false } as const
const WARMUP_MS = 2000
const WINDOW_MS = 5000

async function measure(
  publishTo: BenchNode,
  subscribeTo: BenchNode,
  nodes: BenchNode[],
  redisPid: number,
  qos: 0 | 1
): Promise<Omit<CrossNodeFigure, 'placement'>> {
  const generator = await startNativeFanIn(publishTo.port, { ...LOAD, qos }, subscribeTo === publishTo ? undefined : subscribeTo.port)
  try {
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
    generator.reset()
    const [before, generatorBefore, started] = [clusterCpuSeconds(nodes, redisPid), cpuSeconds(generator.pid), performance.now()]
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
    const [after, generatorAfter] = [clusterCpuSeconds(nodes, redisPid), cpuSeconds(generator.pid)]
    const seconds = (performance.now() - started) / 1000
    const report = await generator.report()
    const delivered = Math.max(1, report.delivered)
    const generatorCpuPercent = (100 * (generatorAfter - generatorBefore)) / seconds
    const problems = nativeProblems(report)
    if (generatorCpuPercent > GENERATOR_CPU_LIMIT_PERCENT) {
      problems.push(`INVALID, the generator's core was ${generatorCpuPercent.toFixed(0)} % busy`)
    }
    return {
      qos,
      published: report.published,
      delivered: report.delivered,
      perSecond: report.delivered / report.seconds,
      brokerCpuUs: ((after.nodes - before.nodes) / delivered) * 1e6,
      redisCpuUs: ((after.redis - before.redis) / delivered) * 1e6,
      generatorCpuPercent,
      problems: problems.map((problem) => `QoS ${qos}: ${problem}`)
    }
  } finally {
    generator.kill()
  }
}

export async function runClusterCrossNodeBench(): Promise<CrossNodeFigure[]> {
  buildNativePrograms()
  const redis = await startRedisServer()
  const nodes: BenchNode[] = []
  try {
    nodes.push(await startBenchNode(redis.url, 'n1'), await startBenchNode(redis.url, 'n2'))
    const figures: CrossNodeFigure[] = []
    for (const qos of [0, 1] as const) {
      figures.push({ placement: 'one node', ...(await measure(nodes[0]!, nodes[0]!, nodes, redis.pid, qos)) })
      figures.push({ placement: 'cross-node', ...(await measure(nodes[0]!, nodes[1]!, nodes, redis.pid, qos)) })
    }
    return figures
  } finally {
    await stopBenchNodes(nodes)
    await redis.stop()
  }
}

export function renderClusterCrossNodeBench(figures: readonly CrossNodeFigure[]): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en')
  const row = (f: CrossNodeFigure): string => {
    const single = figures.find((other) => other.qos === f.qos && other.placement === 'one node')!
    const ratio = f.placement === 'one node' ? '1.00' : (f.perSecond / single.perSecond).toFixed(2)
    return `| QoS ${f.qos} | ${f.placement} | ${n(f.delivered)} of ${n(f.published)} | ${n(f.perSecond)} | ${ratio} | ${n(f.brokerCpuUs)} | ${n(f.redisCpuUs)} | ${n(f.generatorCpuPercent)} |`
  }
  return [
    `Cluster: two nodes on one Redis (appendfsync always); native fan-in, ${LOAD.publishers} publishers on n1 (QoS 1: ${LOAD.window} unacknowledged each), subscriber on n1 (one node) or n2 (cross-node); ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s`,
    '',
    '| QoS | placement | delivered of published | delivered/s | vs one node | node CPU µs/msg | Redis CPU µs/msg | generator CPU % |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(row)
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderClusterCrossNodeBench(await runClusterCrossNodeBench()))
}
