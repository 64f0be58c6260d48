import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { BenchClient } from '../bench-client.js'
import { CpuWindow } from '../cpu-window.js'
import { diskUsageBytes } from '../disk-usage.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { offlineQueueProblems, startNativeOfflineQueue } from '../native-load-generator.js'
import { peakRssKb, rssKb } from '../proc.js'
import type { OfflineQueueScenario } from '../scenarios.js'
import { type Measurement, NOT_MEASURED } from './measure.js'
import { receivePublishes } from './subscriber.js'

/** The sessions' client ids are `bench-q-<n>`, subscribed to `q/<n>` (native/offline-queue.c). */
const SESSION_PREFIX = 'bench-q'
const SPOT_CHECK_TIMEOUT_MS = 20_000
/** A spot-checked session is complete once it has had its messages and nothing more for this long. */
const SPOT_CHECK_QUIET_MS = 500

/**
 * `sessions` persistent sessions, each subscribed at QoS 1 to its own `q/<n>` and then gone; then
 * `messagesPerSession` QoS 1 messages for each, from a few windowed publishers, until all are
 * acknowledged: all of it native/offline-queue.c's, which times the publishing and reports its CPU.
 * After `config.durationMs` of settling (warm-up is not used), the broker's RSS and its data dir's
 * size on disk: the price of holding every offline queue full.
 */
export async function runOfflineQueue(scenario: OfflineQueueScenario, config: GeneratorConfig): Promise<Measurement> {
  const generator = await startNativeOfflineQueue(config.port, scenario)
  const window = new CpuWindow(config.brokerPid)
  generator.reset()
  const report = await generator.report().finally(() => generator.kill())
  const reading = window.stop()
  const problems = offlineQueueProblems(report)

  await sleep(config.durationMs)
  const rssMb = rssKb(config.brokerPid) / 1024
  const rssPeakMb = peakRssKb(config.brokerPid) / 1024
  const dataDirMb = config.dataDir === null ? null : diskUsageBytes(config.dataDir) / 2 ** 20
  // A few sessions (first, middle, last) resumed after the reading: each must hold every message it was sent.
  const spotChecked = [...new Set([0, scenario.sessions >> 1, scenario.sessions - 1])]
  problems.push(...(await queueShortfalls(config.port, spotChecked, scenario.messagesPerSession)))
  return {
    ...NOT_MEASURED,
    generator: 'native',
    seconds: report.seconds,
    published: report.published,
    deliveriesPerSecond: null,
    acksPerSecond: report.acked / report.seconds,
    p50Ms: null,
    p99Ms: null,
    brokerCpuPercent: reading.brokerCpuPercent,
    // The native generator exits before the window closes, so it reports its own CPU; this process's is the rest.
    generatorCpuPercent: reading.generatorCpuPercent + (100 * report.cpuSeconds) / report.seconds,
    rssMb,
    rssPeakMb,
    dataDirMb,
    problems
  }
}

/**
 * Resumes the sessions `bench-q-<n>` for each n in `sessions`, one at a time, and counts what each is
 * sent: exactly `messagesPerSession`, or a problem that says how many.
 */
export async function queueShortfalls(port: number, sessions: readonly number[], messagesPerSession: number): Promise<string[]> {
  const problems: string[] = []
  for (const n of sessions) {
    let delivered = 0
    const session = await BenchClient.open(port, `${SESSION_PREFIX}-${n}`, false, (client) => {
      receivePublishes(client, () => delivered++)
    })
    const deadline = performance.now() + SPOT_CHECK_TIMEOUT_MS
    let seen = -1
    while (performance.now() < deadline && (delivered < messagesPerSession || delivered !== seen)) {
      seen = delivered
      await sleep(SPOT_CHECK_QUIET_MS)
    }
    const lost = session.lostReason === undefined ? '' : ` (its connection: ${session.lostReason})`
    session.close()
    if (delivered !== messagesPerSession) {
      problems.push(`session ${SESSION_PREFIX}-${n} resumed with ${delivered} of its ${messagesPerSession} queued messages${lost}`)
    }
  }
  return problems
}
