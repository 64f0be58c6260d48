// The load generator: one scenario against one broker, in its own process (pinned to its own core
// by the runner) so its CPU use is measured apart from the broker's. Prints one GeneratorResult as
// JSON on stdout; anything else goes to stderr.
import type { GeneratorConfig, GeneratorResult } from './generator-protocol.js'
import { scenarioNamed } from './scenarios.js'
import { runFanIn } from './workloads/fan-in.js'
import { runFanOut } from './workloads/fan-out.js'
import { runFleet } from './workloads/fleet.js'
import { runIdle } from './workloads/idle.js'
import type { Measurement } from './workloads/measure.js'
import { runOfflineQueue } from './workloads/offline-queue.js'
import { runServiceIngest } from './workloads/service-ingest.js'

async function run(config: GeneratorConfig): Promise<Measurement> {
  const scenario = scenarioNamed(config.scenario)
  switch (scenario.kind) {
    case 'fan-in':
      return await runFanIn(scenario, config)
    case 'fan-out':
      return await runFanOut(scenario, config)
    case 'idle':
      return await runIdle(scenario, config)
    case 'offline-queue':
      return await runOfflineQueue(scenario, config)
    case 'fleet':
      return await runFleet(scenario, config)
    case 'service-ingest':
      return await runServiceIngest(scenario, config)
  }
}

const config = JSON.parse(process.argv[2]) as GeneratorConfig
try {
  const result: GeneratorResult = { scenario: config.scenario, ...(await run(config)), dataDirMbAfterStop: null }
  // Exit only once the line is out: stdout is a pipe, and process.exit would cut it short.
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0))
} catch (error) {
  console.error(error instanceof Error ? error.stack : error)
  process.exit(1)
}
