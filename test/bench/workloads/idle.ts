import { setTimeout as sleep } from 'node:timers/promises'
import { CpuWindow } from '../cpu-window.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { nativeProblems, startNativeIdle } from '../native-load-generator.js'
import { rssKb } from '../proc.js'
import type { IdleScenario } from '../scenarios.js'
import { type Measurement, NOT_MEASURED } from './measure.js'

/**
 * Many connected clients that send nothing (native/load-generator.c's): what a broker pays in memory
 * per connection. The warm-up lets the freshly started broker settle before the baseline reading; the
 * measured window lets it settle (allocations, GC) with the connections open before the second one.
 */
export async function runIdle(scenario: IdleScenario, config: GeneratorConfig): Promise<Measurement> {
  await sleep(config.warmupMs)
  const rssBefore = rssKb(config.brokerPid)
  const generator = await startNativeIdle(config.port, scenario.connections)
  try {
    generator.reset()
    const window = new CpuWindow(config.brokerPid, [generator.pid])
    await sleep(config.durationMs)
    const reading = window.stop()
    const rssAfter = rssKb(config.brokerPid)
    const report = await generator.report()
    return {
      ...NOT_MEASURED,
      generator: 'native',
      seconds: reading.seconds,
      published: 0,
      deliveriesPerSecond: null,
      p50Ms: null,
      p99Ms: null,
      brokerCpuPercent: reading.brokerCpuPercent,
      generatorCpuPercent: reading.generatorCpuPercent,
      rssPerConnectionKb: (rssAfter - rssBefore) / scenario.connections,
      problems: nativeProblems(report)
    }
  } finally {
    generator.kill()
  }
}
