import { performance } from 'node:perf_hooks'
import { cpuSeconds } from './proc.js'

export interface CpuWindowReading {
  seconds: number
  /** Percent of one core; the broker is pinned to one core, so 100 means saturated. */
  brokerCpuPercent: number
  /** The load generator's own process (this one), pinned to its own core. */
  generatorCpuPercent: number
}

/** The measured window of one scenario run: wall time and both processes' CPU over it. */
export class CpuWindow {
  private readonly startedAt = performance.now()
  private readonly brokerStart: number
  private readonly generatorStart = cpuSeconds('self')

  constructor (private readonly brokerPid: number) {
    this.brokerStart = cpuSeconds(brokerPid)
  }

  stop (): CpuWindowReading {
    const seconds = (performance.now() - this.startedAt) / 1000
    return {
      seconds,
      brokerCpuPercent: (100 * (cpuSeconds(this.brokerPid) - this.brokerStart)) / seconds,
      generatorCpuPercent: (100 * (cpuSeconds('self') - this.generatorStart)) / seconds
    }
  }
}
