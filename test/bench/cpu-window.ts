import { performance } from 'node:perf_hooks'
import { cpuSeconds, cpuTimes } from './proc.js'

export interface CpuWindowReading {
  seconds: number
  /** Percent of one core; the broker is pinned to one core, so 100 means saturated. */
  brokerCpuPercent: number
  /** The part of it spent in the kernel (system time: socket reads and writes, for the most part). */
  brokerSystemPercent: number
  /** The load generator: this process and its helpers, all pinned to the generator's one core. */
  generatorCpuPercent: number
}

/** The measured window of one scenario run: wall time and both sides' CPU over it. */
export class CpuWindow {
  private readonly startedAt = performance.now()
  private readonly brokerStart: { user: number; system: number }
  private readonly generatorStart: number

  /** `helperPids`: the generator's child processes (the native fan-out receiver), counted as generator. */
  constructor(
    private readonly brokerPid: number,
    private readonly helperPids: readonly number[] = []
  ) {
    this.brokerStart = cpuTimes(brokerPid)
    this.generatorStart = this.generatorCpuSeconds()
  }

  stop(): CpuWindowReading {
    const seconds = (performance.now() - this.startedAt) / 1000
    const broker = cpuTimes(this.brokerPid)
    const system = broker.system - this.brokerStart.system
    return {
      seconds,
      brokerCpuPercent: (100 * (broker.user - this.brokerStart.user + system)) / seconds,
      brokerSystemPercent: (100 * system) / seconds,
      generatorCpuPercent: (100 * (this.generatorCpuSeconds() - this.generatorStart)) / seconds
    }
  }

  private generatorCpuSeconds(): number {
    return this.helperPids.reduce((sum, pid) => sum + cpuSeconds(pid), cpuSeconds('self'))
  }
}
