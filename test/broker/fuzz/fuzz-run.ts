import { Broker } from '../../../broker/broker.js'
import { sleep } from '../../helpers/silence.js'
import { FailureWatch, stackOf } from './failure-watch.js'
import { FUZZ_BROKER_OPTIONS } from './fuzz-broker-options.js'
import { type ConnectionTally, fuzzWorker } from './fuzz-worker.js'
import { freshClientWorks, GoodTraffic } from './good-traffic.js'
import { MB, mb } from './megabytes.js'
import { type MemoryFigures, MemoryWatch } from './memory-watch.js'
import { Rng } from './rng.js'

/**
 * The fuzz scenario shared by `fuzz.test.ts` (bounded) and `npm run fuzz` (long): an in-process
 * broker, `connections` raw sockets sending valid, mutated and random packets (half of them after a
 * valid CONNECT, so the handlers behind it are reached; a new socket whenever the broker closes one),
 * and meanwhile two well-behaved mqtt.js 5.0 clients: a publisher of numbered QoS 1 messages on
 * `fuzz/ok/n` and a subscriber of `fuzz/ok/#`. A clean run: no uncaught exception or unhandled
 * rejection, no handler failure logged by the broker, neither good client ever disconnected, every
 * numbered message delivered once and in order, memory growth within bounds, and a brand-new client
 * served at the end.
 */

export interface FuzzOptions {
  seed: number
  /** Stop after this many fuzz packets... */
  packets?: number
  /** ...or after this many seconds, whichever comes first. */
  seconds?: number
  /** Concurrent fuzz connections. */
  connections?: number
  /** How much the resident set may grow during the run. */
  maxRssGrowthBytes?: number
  /** How much the heap may grow, measured after a full garbage collection before and after the run. */
  maxHeapGrowthBytes?: number
  /** Progress lines every `progressMs`, and the start line. */
  log?: (line: string) => void
  progressMs?: number
}

export interface FuzzReport extends ConnectionTally, MemoryFigures {
  seed: number
  elapsedMs: number
  published: number
  delivered: number
  sessionsAtEnd: number
  problems: string[]
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const packetsWanted = options.packets ?? Infinity
  const deadline = options.seconds !== undefined ? Date.now() + options.seconds * 1000 : Infinity
  if (packetsWanted === Infinity && deadline === Infinity) throw new Error('runFuzz needs packets or seconds')
  const log = options.log ?? (() => {})
  const report = emptyReport(options.seed)
  const { problems } = report

  const failures = new FailureWatch()
  const broker = new Broker(FUZZ_BROKER_OPTIONS, { logger: failures.logger })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  const url = `mqtt://127.0.0.1:${port}`

  const good = new GoodTraffic(url, options.seed.toString(36))
  let memory: MemoryWatch | undefined
  const start = Date.now()
  try {
    await good.start()
    memory = new MemoryWatch(report)
    const connections = options.connections ?? 50
    log(
      `fuzzing 127.0.0.1:${port} with ${connections} connections, seed ${options.seed}, ` +
        `${packetsWanted === Infinity ? '' : `${packetsWanted} packets`}${packetsWanted !== Infinity && deadline !== Infinity ? ' or ' : ''}` +
        `${deadline === Infinity ? '' : `${options.seconds} s`}`
    )

    const done = (): boolean => report.packets >= packetsWanted || Date.now() >= deadline || failures.crashed
    const progress = logProgress(log, options.progressMs ?? 5000, start, report, good, broker)
    try {
      await Promise.all(Array.from({ length: connections }, (_, i) => fuzzWorker(port, new Rng(options.seed * 1000 + i), report, done)))
    } finally {
      clearInterval(progress)
    }

    problems.push(...(await good.finish()))
    report.published = good.published
    report.delivered = good.received.length

    // Connections the broker leaves open (idle fuzzers are still within the connect timeout) do not count as growth.
    await sleep(FUZZ_BROKER_OPTIONS.connectTimeout! * 1000 + 500)
    problems.push(...memory.finish(options.maxHeapGrowthBytes ?? 64 * MB, options.maxRssGrowthBytes ?? 200 * MB))
    report.sessionsAtEnd = broker.sessionCount
    if (report.idlersNotClosed > 0)
      problems.push(
        `${report.idlersNotClosed} of ${report.idlers} connections that never completed CONNECT were not closed by the connect timeout`
      )

    const fresh = await freshClientWorks(url)
    if (fresh !== undefined) problems.push(`a brand-new client after the run: ${fresh}`)
    problems.push(...good.events)
  } catch (error) {
    problems.push(`the run itself failed: ${stackOf(error)}`)
  } finally {
    good.stopPublishing()
    memory?.stop()
    report.elapsedMs = Date.now() - start
    report.published = good.published
    await good.close()
    await broker.close()
    failures.stop()
  }
  problems.push(...failures.problems())
  return report
}

function emptyReport(seed: number): FuzzReport {
  return {
    seed,
    elapsedMs: 0,
    packets: 0,
    bytes: 0,
    byKind: { valid: 0, mutated: 0, random: 0 },
    connects: 0,
    connectionsOpened: 0,
    closedByBroker: 0,
    idlers: 0,
    idlersNotClosed: 0,
    published: 0,
    delivered: 0,
    rssBefore: 0,
    rssAfter: 0,
    rssPeak: 0,
    heapPeak: 0,
    heapBefore: 0,
    heapAfter: 0,
    sessionsAtEnd: 0,
    problems: []
  }
}

/** A progress line every `everyMs`: packets and their rate, connections, sessions, good messages, memory. */
function logProgress(
  log: (line: string) => void,
  everyMs: number,
  start: number,
  report: FuzzReport,
  good: GoodTraffic,
  broker: Broker
): NodeJS.Timeout {
  let lastProgress = Date.now()
  let lastPackets = 0
  return setInterval(() => {
    const now = Date.now()
    const rate = Math.round(((report.packets - lastPackets) * 1000) / (now - lastProgress))
    lastProgress = now
    lastPackets = report.packets
    const { rss, heapUsed } = process.memoryUsage()
    log(
      `${Math.round((now - start) / 1000)} s: ${report.packets} packets (${rate}/s), ${report.connectionsOpened} connections, ` +
        `sessions ${broker.sessionCount}, good messages ${good.received.length}/${good.published}, rss ${mb(rss)}, heap ${mb(heapUsed)}`
    )
  }, everyMs)
}

export function summary(report: FuzzReport): string {
  const seconds = report.elapsedMs / 1000
  return (
    `${report.packets} packets (${report.byKind.valid} valid, ${report.byKind.mutated} mutated, ${report.byKind.random} random), ` +
    `${mb(report.bytes)} in ${seconds.toFixed(1)} s (${Math.round(report.packets / seconds)} packets/s), ` +
    `${report.connectionsOpened} connections (${report.connects} began with a valid CONNECT, ${report.closedByBroker} closed by the broker, ${report.idlers} idle), ` +
    `good messages ${report.delivered}/${report.published}, sessions left ${report.sessionsAtEnd}, ` +
    `rss ${mb(report.rssBefore)} → ${mb(report.rssAfter)} (peak ${mb(report.rssPeak)}), ` +
    `heap after GC ${mb(report.heapBefore)} → ${mb(report.heapAfter)} (peak ${mb(report.heapPeak)}), ` +
    `problems ${report.problems.length}, seed ${report.seed}`
  )
}
