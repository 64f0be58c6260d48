// `npm run bench`: one load generator against thermopost, Mosquitto and Aedes (each scenario names
// the variants it compares, see scenarios.ts) in interleaved rounds, each broker pinned to the same
// core. Prints medians and ratios as markdown; --json also writes every run. Usage: see USAGE in options.ts.
import { writeFileSync } from 'node:fs'
import type { BrokerName } from './broker-variants.js'
import { assertAvailable, launchBroker, type RunningBroker } from './brokers.js'
import { killAllChildren } from './children.js'
import { describeMachine, machineLine } from './machine.js'
import { buildNativePrograms } from './native-build.js'
import { type BenchOptions, parseOptions, USAGE } from './options.js'
import { formatMetric, renderMarkdown } from './report-table.js'
import { runGenerator } from './run-generator.js'
import { brokersFor, roundsOf, type Scenario } from './scenarios.js'
import { settingsNote } from './settings-note.js'
import type { StandaloneBench, StandaloneResult } from './standalone-benches.js'
import { GENERATOR_CPU_LIMIT_PERCENT, type RunRecord, summarize } from './summary.js'

/** The scenarios whose load comes from the native programs (workloads/fan-in.ts, fan-out.ts, idle.ts, offline-queue.ts, service-ingest.ts). */
const NATIVE_KINDS: readonly Scenario['kind'][] = ['fan-in', 'fan-out', 'idle', 'offline-queue', 'service-ingest']

/** One scenario against a fresh broker process. Failures are recorded, not thrown: the other runs go on. */
async function runOnce(scenario: Scenario, brokerName: BrokerName, round: number, options: BenchOptions): Promise<RunRecord> {
  const record: RunRecord = { round, scenario: scenario.name, broker: brokerName, result: null, problems: [] }
  let broker: RunningBroker | undefined
  try {
    broker = await launchBroker(brokerName, scenario.limits, scenario.acl)
    record.result = await runGenerator(
      {
        scenario: scenario.name,
        port: broker.port,
        brokerPid: broker.pid,
        dataDir: broker.dataDir,
        warmupMs: options.warmupSeconds * 1000,
        durationMs: options.durationSeconds * 1000
      },
      scenario.setupAllowanceMs
    )
    record.problems.push(...record.result.problems)
  } catch (error) {
    record.problems.push(error instanceof Error ? error.message : String(error))
  } finally {
    if (broker) {
      const stopped = await broker.stop()
      record.problems.push(...stopped.problems)
      if (record.result && stopped.dataDirBytesAfterExit !== null && scenario.kind === 'offline-queue') {
        record.result.dataDirMbAfterStop = stopped.dataDirBytesAfterExit / 2 ** 20
      }
    }
  }
  return record
}

function progressLine(record: RunRecord, rounds: number): string {
  const head = `round ${record.round}/${rounds}  ${record.scenario.padEnd(20)} ${record.broker.padEnd(25)}`
  const result = record.result
  if (!result) return `${head} FAILED\n  ${record.problems.join('\n  ')}`
  const acks = result.acksPerSecond === null ? '' : `  ${formatMetric('acksPerSecond', result.acksPerSecond).padStart(9)} PUBACKs/s`
  let figures: string
  if (result.storedPerSecond !== null) {
    figures = `${formatMetric('storedPerSecond', result.storedPerSecond).padStart(9)} stored/s  p50 ${formatMetric('p50Ms', result.p50Ms)} ms  p99 ${formatMetric('p99Ms', result.p99Ms)} ms  broker RSS ${formatMetric('rssMb', result.rssMb)} MB  service CPU ${formatMetric('serviceCpuPercent', result.serviceCpuPercent)} %  RSS ${formatMetric('serviceRssMb', result.serviceRssMb)} MB`
  } else if (result.simulatorRssMb !== null) {
    figures = `simulator RSS ${formatMetric('simulatorRssMb', result.simulatorRssMb)} MB  broker RSS ${formatMetric('rssMb', result.rssMb)} MB (${formatMetric('rssPerConnectionKb', result.rssPerConnectionKb)} KB/device)${acks}`
  } else if (result.rssPerConnectionKb !== null) {
    figures = `${formatMetric('rssPerConnectionKb', result.rssPerConnectionKb)} KB/conn`
  } else if (result.rssMb !== null) {
    const disk = (mb: number | null): string => (mb === null ? '–' : formatMetric('dataDirMb', mb))
    figures = `RSS ${formatMetric('rssMb', result.rssMb)} MB (peak ${formatMetric('rssPeakMb', result.rssPeakMb)})  disk ${disk(result.dataDirMb)} MB (after exit ${disk(result.dataDirMbAfterStop)})${acks} over ${result.seconds.toFixed(1)} s`
  } else {
    const perDelivery =
      result.brokerCpuUsPerDelivery === null
        ? ''
        : `  ${formatMetric('brokerCpuUsPerDelivery', result.brokerCpuUsPerDelivery)} µs broker CPU/delivery (kernel ${formatMetric('brokerKernelUsPerDelivery', result.brokerKernelUsPerDelivery)})`
    figures = `${formatMetric('deliveriesPerSecond', result.deliveriesPerSecond).padStart(9)} deliveries/s${acks}${perDelivery}  p50 ${formatMetric('p50Ms', result.p50Ms)} ms  p99 ${formatMetric('p99Ms', result.p99Ms)} ms  (${result.published} published)`
  }
  const invalid = result.generatorCpuPercent > GENERATOR_CPU_LIMIT_PERCENT ? '  ⚠ INVALID: generator core saturated' : ''
  const problems = record.problems.length > 0 ? `\n  ⚠ ${record.problems.join('\n  ⚠ ')}` : ''
  return `${head} ${figures}  broker CPU ${result.brokerCpuPercent.toFixed(0)} %  generator (${result.generator}) CPU ${result.generatorCpuPercent.toFixed(0)} %${invalid}${problems}`
}

interface StandaloneRecord {
  bench: StandaloneBench['name']
  seconds: number
  result: StandaloneResult | null
  problems: string[]
}

/** One standalone bench; a failure is recorded, not thrown, like a broker run's. */
async function runStandalone(bench: StandaloneBench): Promise<StandaloneRecord> {
  const started = performance.now()
  const record: StandaloneRecord = { bench: bench.name, seconds: 0, result: null, problems: [] }
  try {
    record.result = await bench.run()
    record.problems.push(...record.result.problems)
  } catch (error) {
    record.problems.push(error instanceof Error ? (error.stack ?? error.message) : String(error))
  }
  record.seconds = (performance.now() - started) / 1000
  const problems = record.problems.length > 0 ? `\n  ⚠ ${record.problems.join('\n  ⚠ ')}` : ''
  console.log(
    `once        ${bench.name.padEnd(20)} ${record.result === null ? 'FAILED' : 'done'} in ${record.seconds.toFixed(1)} s${problems}`
  )
  return record
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  new Set(options.scenarios.flatMap((scenario) => brokersFor(scenario, options.brokers))).forEach(assertAvailable)
  // Before any round, so a missing gcc fails the bench at once rather than every run that needs it. The machine's
  // system-call probe is built for every run.
  buildNativePrograms(options.scenarios.some((scenario) => NATIVE_KINDS.includes(scenario.kind)) ? undefined : ['syscallCost'])
  const machine = describeMachine()
  console.log(machineLine(machine))
  const startedAt = new Date()
  const records: RunRecord[] = []
  for (let round = 1; round <= options.rounds; round++) {
    for (const scenario of options.scenarios.filter((candidate) => round <= roundsOf(candidate, options.rounds))) {
      for (const broker of brokersFor(scenario, options.brokers)) {
        const record = await runOnce(scenario, broker, round, options)
        console.log(progressLine(record, options.rounds))
        records.push(record)
      }
    }
  }
  const standalone: StandaloneRecord[] = []
  for (const bench of options.standalone) standalone.push(await runStandalone(bench))
  const summaries = summarize(records, options.scenarios, options.brokers, options.rounds)
  if (summaries.length > 0)
    console.log(
      `\n${renderMarkdown(summaries, options.rounds)}\n\n${settingsNote(options.scenarios, options.brokers)}\n\n${machineLine(machine)}`
    )
  for (const { bench, seconds, result } of standalone) {
    if (result !== null) console.log(`\n${bench} (once, ${seconds.toFixed(0)} s):\n\n${result.markdown}`)
  }
  if (options.jsonPath !== undefined) {
    const { scenarios, standalone: benches, ...settings } = options
    writeFileSync(
      options.jsonPath,
      `${JSON.stringify(
        {
          startedAt: startedAt.toISOString(),
          settings: { ...settings, scenarios: scenarios.map((s) => s.name), standalone: benches.map((b) => b.name) },
          machine,
          summaries,
          runs: records,
          standalone
        },
        null,
        2
      )}\n`
    )
    console.log(`\nresults written to ${options.jsonPath}`)
  }
}

// Every broker and generator is a child of this process: none may outlive it, however it ends.
process.on('exit', killAllChildren)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping every broker and generator`)
    process.exit(130)
  })
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error)
  if (error instanceof Error && error.message.startsWith('--')) console.error(USAGE)
  process.exitCode = 1
})
