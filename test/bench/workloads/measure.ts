import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchClient } from '../bench-client.js'
import { CpuWindow } from '../cpu-window.js'
import type { GeneratorConfig, GeneratorResult } from '../generator-protocol.js'
import type { Tally } from '../tally.js'

export type Measurement = Omit<GeneratorResult, 'scenario' | 'dataDirMbAfterStop'>

/** The figures only some workloads measure, for the others to spread. */
export const NOT_MEASURED = {
  acksPerSecond: null,
  brokerCpuUsPerDelivery: null,
  rssPerConnectionKb: null,
  rssMb: null,
  rssPeakMb: null,
  dataDirMb: null,
  simulatorRssMb: null,
  storedPerSecond: null,
  serviceCpuPercent: null,
  serviceRssMb: null
} as const

/**
 * Lets traffic that is already flowing warm up, then measures one window of it. `acks`: the
 * publishers are QoS 1 and count their PUBACKs.
 */
export async function measureTraffic(
  config: GeneratorConfig,
  tally: Tally,
  clients: readonly BenchClient[],
  acks: boolean
): Promise<Measurement> {
  await sleep(config.warmupMs)
  tally.reset()
  const window = new CpuWindow(config.brokerPid)
  await sleep(config.durationMs)
  const reading = window.stop()
  return {
    ...NOT_MEASURED,
    generator: 'node',
    seconds: reading.seconds,
    published: tally.published,
    deliveriesPerSecond: tally.delivered / reading.seconds,
    acksPerSecond: acks ? tally.acknowledged / reading.seconds : null,
    p50Ms: tally.latency.quantileMs(0.5),
    p99Ms: tally.latency.quantileMs(0.99),
    brokerCpuPercent: reading.brokerCpuPercent,
    generatorCpuPercent: reading.generatorCpuPercent,
    problems: connectionProblems(clients)
  }
}

/** Connections lost during the run, grouped by reason: "3 of 201 connections: closed by the broker". */
export function connectionProblems(clients: readonly BenchClient[]): string[] {
  const byReason = new Map<string, number>()
  for (const { lostReason } of clients) {
    if (lostReason !== undefined) byReason.set(lostReason, (byReason.get(lostReason) ?? 0) + 1)
  }
  return [...byReason].map(([reason, count]) => `${count} of ${clients.length} connections: ${reason}`)
}
