import type { BenchClient } from '../bench-client.js'
import type { GeneratorResult } from '../generator-protocol.js'

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

/** Connections lost during the run, grouped by reason: "3 of 201 connections: closed by the broker". */
export function connectionProblems(clients: readonly BenchClient[]): string[] {
  const byReason = new Map<string, number>()
  for (const { lostReason } of clients) {
    if (lostReason !== undefined) byReason.set(lostReason, (byReason.get(lostReason) ?? 0) + 1)
  }
  return [...byReason].map(([reason, count]) => `${count} of ${clients.length} connections: ${reason}`)
}
