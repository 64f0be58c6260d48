import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BrokerProcess } from '../../helpers/crash-broker.js'
import { CrashPublisher, type Outgoing } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { sleep } from '../../helpers/silence.js'

/**
 * The crash scenario, shared by `npm test` (crash.test.ts) and the long run (crash-test.ts).
 *
 * A broker child process on its own data directory; a 5.0 subscriber with a persistent session
 * (cleanStart false, expiry 3600 s) subscribed to `crash/#` at QoS 2 before anything is published,
 * and in some cycles a 3.1.1 clean=false subscriber at QoS 1. Each cycle: the subscribers are online
 * or offline at random, a publisher keeps a window of numbered QoS 1 / QoS 2 messages in flight, and
 * after a random 50–300 ms the broker gets SIGKILL. It restarts on the same directory, the
 * subscribers come back with their sessions, and every message the broker acknowledged (PUBACK,
 * PUBREC) must reach each of them: QoS 1 at least once, QoS 2 (5.0 subscriber) exactly once —
 * counted as deliveries to the application over the whole run, since a QoS 2 message redelivered
 * with DUP before its PUBREL is legal on the wire but must not reach the application twice.
 */

export interface CycleReport {
  cycle: number
  publishMs: number
  v5Online: boolean
  /** Whether the 3.1.1 subscriber took part, and if so whether it was online at the kill. */
  v311: 'absent' | 'online' | 'offline'
  published: number
  acknowledged: number
  /** `subscriber:seq` for each acknowledged message a subscriber never received. */
  lost: string[]
  /** `seq×count` for each QoS 2 message the 5.0 subscriber's application got more than once. */
  duplicates: string[]
  /** Anything else wrong: a session not present after restart, a QoS 2 message delivered at QoS 1. */
  problems: string[]
  restartedOnSamePort: boolean
}

export interface Totals {
  cycles: number
  published: number
  acknowledged: number
  lost: number
  duplicates: number
  problems: number
}

export interface ScenarioOptions {
  /** Seed for the random choices, so a failing run can be repeated. */
  seed: number
  log?: (line: string) => void
  /** How long to wait for acknowledged messages after the restart before calling them lost. */
  drainTimeoutMs?: number
}

const WINDOW = 10
const SUBSCRIBER_V5 = 'crash-sub-v5'
const SUBSCRIBER_V311 = 'crash-sub-v311'
/**
 * A cycle can publish more than the default queue limit (1000) for an offline subscriber, and a full
 * queue drops by design: this scenario is about durability, so its queues never fill.
 */
const BROKER_EXTRA = ['--max-queued-messages', '1000000']

/** mulberry32: a small seeded generator; Math.random cannot be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class CrashScenario {
  readonly totals: Totals = { cycles: 0, published: 0, acknowledged: 0, lost: 0, duplicates: 0, problems: 0 }
  private readonly random: () => number
  private readonly qosOf = new Map<number, 1 | 2>()
  private readonly v5 = new CrashSubscriber(SUBSCRIBER_V5, {
    clientId: SUBSCRIBER_V5,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 }
  })

  private readonly v311 = new CrashSubscriber(SUBSCRIBER_V311, { clientId: SUBSCRIBER_V311, protocolVersion: 4 })
  private readonly duplicatesSeen = new Set<number>()
  private readonly downgradesSeen = new Set<number>()
  private readonly allAcknowledged = new Set<number>()
  private seq = 0
  private broker: BrokerProcess | undefined
  private publisher: CrashPublisher | undefined

  private constructor(
    readonly dataDir: string,
    private readonly options: ScenarioOptions
  ) {
    this.random = seededRandom(options.seed)
  }

  /** Starts the broker on a fresh data directory and subscribes the 5.0 subscriber. */
  static async create(options: ScenarioOptions): Promise<CrashScenario> {
    const scenario = new CrashScenario(mkdtempSync(join(tmpdir(), 'thermopost-crash-')), options)
    scenario.broker = await BrokerProcess.start({ dataDir: scenario.dataDir, extra: BROKER_EXTRA })
    await scenario.v5.connect(scenario.broker.url)
    await scenario.v5.subscribe('crash/#', 2)
    return scenario
  }

  async runCycle(cycle: number): Promise<CycleReport> {
    const publishMs = Math.round(50 + this.random() * 250)
    const v5Online = this.random() < 0.5
    const v311: CycleReport['v311'] = cycle % 3 !== 2 ? 'absent' : this.random() < 0.5 ? 'online' : 'offline'
    const problems: string[] = []
    let broker = this.broker!

    if (v311 !== 'absent') {
      await this.v311.connect(broker.url)
      await this.v311.subscribe('crash/#', 1)
      if (v311 === 'offline') await this.v311.goOffline()
    }
    if (!v5Online) await this.v5.goOffline()

    const publisher = await CrashPublisher.connect(broker.port, `crash-pub-${cycle}`)
    this.publisher = publisher
    publisher.start(WINDOW, () => this.nextMessage())
    await sleep(publishMs)
    await broker.kill('SIGKILL')
    await publisher.closed
    this.v5.drop()
    this.v311.drop()

    broker = await BrokerProcess.restart({ dataDir: this.dataDir, port: broker.port, extra: BROKER_EXTRA })
    const restartedOnSamePort = broker.port === this.broker!.port
    this.broker = broker

    const subscribers = v311 === 'absent' ? [this.v5] : [this.v5, this.v311]
    for (const subscriber of subscribers) {
      const connack = await subscriber.connect(broker.url)
      if (!connack.sessionPresent) {
        problems.push(`${subscriber.name}: sessionPresent false after restart`)
        // Subscribes again so that the cycles after this one still measure something.
        await subscriber.subscribe('crash/#', subscriber === this.v5 ? 2 : 1)
      }
    }
    const acknowledged = [...publisher.acknowledged]
    for (const seq of acknowledged) this.allAcknowledged.add(seq)
    const lost: string[] = []
    for (const subscriber of subscribers) {
      const missing = await this.waitForAll(subscriber, acknowledged)
      lost.push(...missing.map((seq) => `${subscriber.name}:${seq}(qos${this.qosOf.get(seq)})`))
    }
    problems.push(...(await this.flushWithMarker(cycle, subscribers)))

    const duplicates = this.newDuplicates()
    problems.push(...this.downgrades())
    if (v311 !== 'absent') {
      // Ends the 3.1.1 session so that it takes part only in the cycles that chose it.
      await this.v311.connect(broker.url, true)
      await this.v311.goOffline()
    }

    const report: CycleReport = {
      cycle,
      publishMs,
      v5Online,
      v311,
      published: publisher.sent.length,
      acknowledged: acknowledged.length,
      lost,
      duplicates,
      problems,
      restartedOnSamePort
    }
    this.totals.cycles++
    this.totals.published += report.published
    this.totals.acknowledged += report.acknowledged
    this.totals.lost += lost.length
    this.totals.duplicates += duplicates.length
    this.totals.problems += problems.length
    this.options.log?.(describe(report))
    return report
  }

  async close(): Promise<void> {
    this.publisher?.destroy()
    this.v5.drop()
    this.v311.drop()
    await this.broker?.kill('SIGKILL')
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  /**
   * Acknowledged messages the 5.0 subscriber has still not received by now, over the whole run: a
   * cycle's `lost` may include messages that were only late (delivery stalled) and came in a later cycle.
   */
  neverReceived(): number[] {
    const got = new Set(this.v5.received().map((m) => Number(m.payload.toString())))
    return [...this.allAcknowledged].filter((seq) => !got.has(seq)).sort((a, b) => a - b)
  }

  /** What the broker printed since its last start, for a failure message. */
  brokerOutput(): string {
    return this.broker?.output() ?? ''
  }

  private nextMessage(): Outgoing {
    const seq = ++this.seq
    const qos: 1 | 2 = this.random() < 0.5 ? 1 : 2
    this.qosOf.set(seq, qos)
    return { seq, qos, topic: `crash/q${qos}/${seq % 4}` }
  }

  /** Waits until `subscriber` has every one of `seqs`; returns those still missing at the deadline. */
  private async waitForAll(subscriber: CrashSubscriber, seqs: number[]): Promise<number[]> {
    const deadline = Date.now() + (this.options.drainTimeoutMs ?? 5000)
    for (;;) {
      const got = new Set(subscriber.received().map((m) => Number(m.payload.toString())))
      const missing = seqs.filter((seq) => !got.has(seq))
      if (missing.length === 0 || Date.now() >= deadline) return missing.sort((a, b) => a - b)
      await sleep(20)
    }
  }

  /**
   * Publishes a QoS 1 marker after the restart and waits for it at every subscriber: anything the
   * broker still had queued or in flight for them from before it is then delivered too, so a QoS 2
   * duplicate would show now rather than in a later cycle.
   */
  private async flushWithMarker(cycle: number, subscribers: CrashSubscriber[]): Promise<string[]> {
    const publisher = await CrashPublisher.connect(this.broker!.port, `crash-marker-${cycle}`)
    const marker = -cycle
    publisher.start(1, () => ({ seq: marker, qos: 1, topic: 'crash/marker' }))
    const deadline = Date.now() + 5000
    while (!publisher.acknowledged.has(marker)) {
      if (Date.now() > deadline) throw new Error(`marker ${marker} not acknowledged by the restarted broker`)
      await sleep(5)
    }
    publisher.destroy()
    const problems: string[] = []
    for (const subscriber of subscribers) {
      if ((await this.waitForAll(subscriber, [marker])).length > 0) problems.push(`${subscriber.name}: marker ${marker} not delivered`)
    }
    await sleep(50)
    return problems
  }

  /** QoS 2 sequence numbers the 5.0 subscriber's application received more than once, not reported before. */
  private newDuplicates(): string[] {
    const counts = new Map<number, number>()
    for (const message of this.v5.received()) {
      const seq = Number(message.payload.toString())
      if (this.qosOf.get(seq) === 2) counts.set(seq, (counts.get(seq) ?? 0) + 1)
    }
    const fresh: string[] = []
    for (const [seq, count] of counts) {
      if (count > 1 && !this.duplicatesSeen.has(seq)) {
        this.duplicatesSeen.add(seq)
        // How each copy came: connection number, packet id, DUP flag.
        const copies = this.v5
          .deliveries()
          .filter((d) => Number(d.message.payload.toString()) === seq)
          .map((d) => `conn${d.connection}/id${d.message.packet.messageId}${d.message.packet.dup ? '/dup' : ''}`)
        fresh.push(`${seq}×${count}[${copies.join(' ')}]`)
      }
    }
    return fresh
  }

  /** A QoS 2 message reaching the QoS 2 subscriber at a lower QoS has lost its exactly-once promise. */
  private downgrades(): string[] {
    const fresh: string[] = []
    for (const message of this.v5.received()) {
      const seq = Number(message.payload.toString())
      if (this.qosOf.get(seq) !== 2 || message.packet.qos === 2 || this.downgradesSeen.has(seq)) continue
      this.downgradesSeen.add(seq)
      fresh.push(`${SUBSCRIBER_V5}: seq ${seq} delivered at QoS ${message.packet.qos}`)
    }
    return fresh
  }
}

export function describe(r: CycleReport): string {
  const v5 = r.v5Online ? 'online' : 'offline'
  return (
    `cycle ${r.cycle}: published ${r.published} in ${r.publishMs} ms, acknowledged ${r.acknowledged}, ` +
    `lost ${r.lost.length}, duplicates ${r.duplicates.length} (v5 ${v5}, v311 ${r.v311}` +
    `${r.restartedOnSamePort ? '' : ', new port'})` +
    (r.lost.length > 0 ? `\n  lost: ${r.lost.slice(0, 20).join(' ')}${r.lost.length > 20 ? ' ...' : ''}` : '') +
    (r.duplicates.length > 0 ? `\n  duplicates: ${r.duplicates.join(' ')}` : '') +
    (r.problems.length > 0 ? `\n  problems: ${r.problems.join('; ')}` : '')
  )
}
