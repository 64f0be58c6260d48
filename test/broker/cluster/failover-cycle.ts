import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BrokerProcess } from '../../helpers/crash-broker.js'
import { CrashPublisher, type Outgoing } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { seededRandom } from '../crash/crash-cycle.js'

/**
 * The failover scenario of `npm run bench` (20 kills): three broker nodes on one
 * Redis (append-only, fsync always). A 5.0 publisher on node P, which is never killed, keeps a window of numbered
 * QoS 1 / QoS 2 messages in flight the whole time; a 5.0 subscriber with a persistent session (expiry 3600 s) is
 * subscribed to `failover/#` at QoS 2 on another node, V. Each cycle kills V with SIGKILL, and the subscriber
 * reconnects to the third node until it gets its session back (CONNACK Session Present), while messages keep
 * coming. Every message the cluster acknowledged must reach the subscriber's application, QoS 2 ones exactly once.
 * V is restarted, and the subscriber's new node is the next cycle's victim.
 */

export interface FailoverCycle {
  cycle: number
  /** From the SIGKILL to the subscriber's CONNACK with its session on another node. */
  backMs: number
  /** Reconnect attempts refused or dropped before the session came back. */
  attempts: number
  /** The subscriber came back to no session (CONNACK Session Present 0) and had to subscribe again: a lost session. */
  sessionLost: boolean
  /** Messages acknowledged during this cycle. */
  acknowledged: number
  /** Acknowledged since the start and still not delivered 10 s after the subscriber was back (must be none). */
  lost: number[]
  /** QoS 2 messages the application got more than once (must be none). */
  duplicatesQos2: number[]
  /** QoS 1 messages delivered more than once (allowed, counted). */
  duplicatesQos1: number
}

const NODES = 3
const WINDOW = 10
const SUBSCRIBER = 'failover-sub'
/** Long enough for a dead node to be noticed (liveness key TTL) and its session released, with room for a loaded machine. */
const BACK_WITHIN_MS = 30_000

export class FailoverScenario {
  readonly cycles: FailoverCycle[] = []
  private readonly random: () => number
  private readonly qosOf = new Map<number, 1 | 2>()
  private readonly acknowledged = new Set<number>()
  private readonly subscriber = new CrashSubscriber(SUBSCRIBER, {
    clientId: SUBSCRIBER,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 }
  })

  /** Deliveries per message number, brought up to date from what arrived since the last look. */
  private readonly counts = new Map<number, number>()
  private readonly newMessages = this.subscriber.newMessages()

  private readonly nodes: Array<BrokerProcess | undefined> = []
  private publisher: CrashPublisher | undefined
  private seq = 0
  /** The node the subscriber is on: the next victim. */
  private subscriberNode = 1
  private readonly publisherNode = 0

  private constructor(
    private readonly redis: RunningRedis,
    private readonly dir: string,
    seed: number
  ) {
    this.random = seededRandom(seed)
  }

  static async create(seed: number): Promise<FailoverScenario> {
    const redis = await startRedisServer()
    const scenario = new FailoverScenario(redis, mkdtempSync(join(tmpdir(), 'thermopost-failover-')), seed)
    for (let node = 0; node < NODES; node++) scenario.nodes.push(await scenario.startNode(node))
    await scenario.subscriber.connect(scenario.nodes[scenario.subscriberNode]!.url)
    await scenario.subscriber.subscribe('failover/#', 2)
    const publisher = await CrashPublisher.connect(scenario.nodes[scenario.publisherNode]!.port, 'failover-pub')
    publisher.start(WINDOW, () => scenario.nextMessage())
    scenario.publisher = publisher
    return scenario
  }

  async runCycle(cycle: number): Promise<FailoverCycle> {
    await sleep(200 + this.random() * 800)
    const victim = this.subscriberNode
    const target = this.otherThan(victim)
    const killedAt = Date.now()
    await this.nodes[victim]!.kill('SIGKILL')
    this.nodes[victim] = undefined
    this.subscriber.drop()

    let attempts = 0
    let sessionLost = false
    for (;;) {
      if (Date.now() - killedAt > BACK_WITHIN_MS)
        throw new Error(`cycle ${cycle}: the subscriber's session was not back within ${BACK_WITHIN_MS} ms`)
      attempts++
      const connack = await this.subscriber.connect(this.nodes[target]!.url).catch(() => undefined)
      if (connack === undefined) {
        await sleep(100)
        continue
      }
      if (!connack.sessionPresent) {
        // Counted, and subscribed again so that the cycles after this one still measure something.
        sessionLost = true
        await this.subscriber.subscribe('failover/#', 2)
      }
      break
    }
    const backMs = Date.now() - killedAt
    this.subscriberNode = target
    this.nodes[victim] = await this.startNode(victim)

    const acknowledged = [...this.publisher!.acknowledged].filter((seq) => !this.acknowledged.has(seq))
    for (const seq of acknowledged) this.acknowledged.add(seq)
    const lost = await this.waitForAll([...this.acknowledged])
    const counts = this.deliveryCounts()
    const duplicatesQos2 = [...counts].filter(([seq, count]) => count > 1 && this.qosOf.get(seq) === 2).map(([seq]) => seq)
    const duplicatesQos1 = [...counts].filter(([seq, count]) => count > 1 && this.qosOf.get(seq) === 1).length
    const report = { cycle, backMs, attempts, sessionLost, acknowledged: acknowledged.length, lost, duplicatesQos2, duplicatesQos1 }
    this.cycles.push(report)
    return report
  }

  /**
   * How each of `seqs` reached the subscriber, for a failure message: the connection (0, 1, ... since the start), the
   * packet id and DUP of every copy. A copy resent after a kill keeps its packet id and has DUP set; the same message
   * given twice by the cluster comes with two packet ids, DUP clear.
   */
  describeDeliveries(seqs: readonly number[]): string {
    const wanted = new Set(seqs)
    return this.subscriber
      .deliveries()
      .filter(({ message }) => wanted.has(Number(message.payload.toString())))
      .map(
        ({ connection, message }) =>
          `${message.payload} on connection ${connection}: id ${message.packet.messageId}${message.packet.dup ? ' DUP' : ''}`
      )
      .join('\n')
  }

  /** What the nodes printed, for a failure message. */
  output(): string {
    return this.nodes.map((node, index) => `--- node-${index + 1}\n${node?.output().slice(-3000) ?? '(down)'}`).join('\n')
  }

  async close(): Promise<void> {
    this.publisher?.destroy()
    this.subscriber.drop()
    for (const node of this.nodes) await node?.kill('SIGKILL')
    await this.redis.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }

  /** Given 30 s: a node restarted while the machine is loaded (the bench beside other work) can take more than 10. */
  private startNode(node: number): Promise<BrokerProcess> {
    return BrokerProcess.start(
      {
        dataDir: join(this.dir, `node-${node + 1}`),
        extra: ['--cluster', this.redis.url, '--node-id', `node-${node + 1}`, '--max-queued-messages', '1000000']
      },
      30_000
    )
  }

  private otherThan(victim: number): number {
    for (let node = 0; node < NODES; node++) if (node !== victim && node !== this.publisherNode) return node
    throw new Error('no node left')
  }

  private nextMessage(): Outgoing {
    const seq = ++this.seq
    const qos: 1 | 2 = this.random() < 0.5 ? 1 : 2
    this.qosOf.set(seq, qos)
    return { seq, qos, topic: `failover/q${qos}/${seq % 4}` }
  }

  /**
   * Waits until every one of `seqs` has reached the application; returns those still missing after 10 s. Each look
   * reads only what arrived since the one before: this process is also the subscriber's client, and recounting every
   * message so far every 20 ms (a quarter of a million of them late in the bench, 0.2-0.6 s a look on a loaded
   * machine) kept its event loop so busy that the client took its backlog after a kill in at most one in-flight
   * window per look, and thousands of messages arrived more than 10 s late.
   */
  private async waitForAll(seqs: number[]): Promise<number[]> {
    const deadline = Date.now() + 10_000
    const counts = this.deliveryCounts()
    const missing = new Set(seqs.filter((seq) => !counts.has(seq)))
    for (;;) {
      for (const seq of this.countNew()) missing.delete(seq)
      if (missing.size === 0 || Date.now() >= deadline) return [...missing]
      await sleep(20)
    }
  }

  private deliveryCounts(): Map<number, number> {
    this.countNew()
    return this.counts
  }

  /** Counts the messages that arrived since the last count; returns their numbers. */
  private countNew(): number[] {
    const seqs = this.newMessages().map((message) => Number(message.payload.toString()))
    for (const seq of seqs) this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1)
    return seqs
  }
}
