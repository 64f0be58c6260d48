import { setTimeout as sleep } from 'node:timers/promises'
import { CpuWindow, type CpuWindowReading } from '../cpu-window.js'
import type { GeneratorConfig, GeneratorResult } from '../generator-protocol.js'
import type { NativeHelper } from '../native-helper.js'

export type Measurement = Omit<GeneratorResult, 'scenario' | 'dataDirMbAfterStop'>

/** The figures only some workloads measure, for the others to spread. */
export const NOT_MEASURED = {
  acksPerSecond: null,
  brokerCpuUsPerDelivery: null,
  brokerKernelUsPerDelivery: null,
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
 * Lets the load the native `helpers` offer warm up, then measures one window of it: their counts
 * start from zero at its start, and both sides' CPU is read over it (the helpers' as the generator's).
 */
export async function measureWindow(config: GeneratorConfig, helpers: readonly NativeHelper<unknown>[]): Promise<CpuWindowReading> {
  await sleep(config.warmupMs)
  for (const helper of helpers) helper.reset()
  const window = new CpuWindow(
    config.brokerPid,
    helpers.map((helper) => helper.pid)
  )
  await sleep(config.durationMs)
  return window.stop()
}
