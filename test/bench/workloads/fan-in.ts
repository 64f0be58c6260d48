import type { GeneratorConfig } from '../generator-protocol.js'
import { nativeProblems, startNativeFanIn } from '../native-load-generator.js'
import type { FanInScenario } from '../scenarios.js'
import { type Measurement, measureWindow, NOT_MEASURED } from './measure.js'

/**
 * Many publishers on `bench/<n>` → one subscriber on `bench/#`: the broker's ingest is the limit.
 * All of them are native/load-generator.c's; with QoS 1 its report waits until the subscriber has
 * every acknowledged message (at least once), and says so if it never does.
 */
export async function runFanIn(scenario: FanInScenario, config: GeneratorConfig): Promise<Measurement> {
  const generator = await startNativeFanIn(config.port, scenario)
  try {
    const reading = await measureWindow(config, [generator])
    const report = await generator.report()
    return {
      ...NOT_MEASURED,
      generator: 'native',
      seconds: reading.seconds,
      published: report.published,
      deliveriesPerSecond: report.delivered / report.seconds,
      acksPerSecond: scenario.qos === 1 ? report.acked / report.seconds : null,
      p50Ms: report.p50Ms,
      p99Ms: report.p99Ms,
      brokerCpuPercent: reading.brokerCpuPercent,
      generatorCpuPercent: reading.generatorCpuPercent,
      problems: nativeProblems(report)
    }
  } finally {
    generator.kill()
  }
}
