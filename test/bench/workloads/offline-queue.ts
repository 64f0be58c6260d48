import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { BenchClient } from '../bench-client.js'
import { CpuWindow } from '../cpu-window.js'
import { diskUsageBytes } from '../disk-usage.js'
import type { GeneratorConfig } from '../generator-protocol.js'
import { peakRssKb, rssKb } from '../proc.js'
import { PacketIdSequence, PublishTemplate } from '../publish-template.js'
import type { OfflineQueueScenario } from '../scenarios.js'
import { Tally } from '../tally.js'
import { connectionProblems, type Measurement, NOT_MEASURED } from './measure.js'
import { forEachIndex, openClients } from './open-clients.js'
import { publishCounted } from './publishers.js'
import { receiveInto } from './subscriber.js'

const SESSION_PREFIX = 'bench-q'
const HANDSHAKES_AT_ONCE = 50
/** A publisher that gets no PUBACK for this long has stalled: the run fails rather than hangs. */
const STALL_MS = 60_000
/** Sessions reconnected after the reading to check that each holds every message it was sent. */
const SPOT_CHECKED_SESSIONS = 3
const SPOT_CHECK_TIMEOUT_MS = 20_000
/** A spot-checked session is complete once it has had its messages and nothing more for this long. */
const SPOT_CHECK_QUIET_MS = 500

/**
 * `sessions` persistent sessions, each subscribed at QoS 1 to its own `q/<n>` and then gone; then
 * `messagesPerSession` QoS 1 messages for each, from a few windowed publishers, until all are
 * acknowledged. After `config.durationMs` of settling (warm-up is not used), the broker's RSS and
 * its data dir's size on disk: the price of holding every offline queue full.
 */
export async function runOfflineQueue(scenario: OfflineQueueScenario, config: GeneratorConfig): Promise<Measurement> {
  await forEachIndex(scenario.sessions, HANDSHAKES_AT_ONCE, async (n) => {
    const session = await BenchClient.open(config.port, `${SESSION_PREFIX}-${n}`, false)
    await session.subscribe(topic(n), 1)
    await session.disconnect()
  })

  const tally = new Tally()
  const publishers = await openClients(config.port, scenario.publishers, 'bench-qpub')
  const window = new CpuWindow(config.brokerPid)
  await Promise.all(
    publishers.map(async (publisher, p) => {
      const ids = new PacketIdSequence()
      const templates = []
      for (let n = p; n < scenario.sessions; n += scenario.publishers) templates.push(new PublishTemplate(topic(n), 1, ids))
      await publishCounted(publisher, templates, templates.length * scenario.messagesPerSession, scenario.window, tally, STALL_MS)
    })
  )
  const reading = window.stop()
  const problems = connectionProblems(publishers)
  await Promise.all(
    publishers.map(async (publisher) => {
      await publisher.disconnect()
    })
  )

  await sleep(config.durationMs)
  const rssMb = rssKb(config.brokerPid) / 1024
  const rssPeakMb = peakRssKb(config.brokerPid) / 1024
  const dataDirMb = config.dataDir === null ? null : diskUsageBytes(config.dataDir) / 2 ** 20
  problems.push(...(await spotCheck(scenario, config.port)))
  return {
    ...NOT_MEASURED,
    generator: 'node',
    seconds: reading.seconds,
    published: tally.published,
    deliveriesPerSecond: null,
    acksPerSecond: tally.acknowledged / reading.seconds,
    p50Ms: null,
    p99Ms: null,
    brokerCpuPercent: reading.brokerCpuPercent,
    generatorCpuPercent: reading.generatorCpuPercent,
    rssMb,
    rssPeakMb,
    dataDirMb,
    problems
  }
}

function topic(n: number): string {
  return `q/${n}`
}

/** Resumes a few sessions (first, middle, last) and counts what each is sent: exactly its queue. */
async function spotCheck(scenario: OfflineQueueScenario, port: number): Promise<string[]> {
  const problems: string[] = []
  const checked = [0, scenario.sessions >> 1, scenario.sessions - 1].slice(0, SPOT_CHECKED_SESSIONS)
  for (const n of checked) {
    const tally = new Tally()
    const session = await BenchClient.open(port, `${SESSION_PREFIX}-${n}`, false, (client) => {
      receiveInto(client, tally)
    })
    const deadline = performance.now() + SPOT_CHECK_TIMEOUT_MS
    let seen = -1
    while (performance.now() < deadline && (tally.deliveredTotal < scenario.messagesPerSession || tally.deliveredTotal !== seen)) {
      seen = tally.deliveredTotal
      await sleep(SPOT_CHECK_QUIET_MS)
    }
    session.close()
    if (tally.deliveredTotal !== scenario.messagesPerSession) {
      problems.push(
        `session ${SESSION_PREFIX}-${n} resumed with ${tally.deliveredTotal} of its ${scenario.messagesPerSession} queued messages`
      )
    }
  }
  return problems
}
