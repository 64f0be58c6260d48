import type { BackoffOptions } from '../backoff.js'
import { FleetSummarizer, type FleetSummary } from '../fleet-summary.js'
import { LinkCounters } from '../link-counters.js'
import { ModelClock } from '../model/model-clock.js'
import { SeededRandom } from '../model/seeded-random.js'
import { ReadingScheduler } from '../reading-scheduler.js'
import { SparkplugEdgeNode } from './sparkplug-edge-node.js'
import { SparkplugThermostat } from './sparkplug-thermostat.js'

export interface SparkplugFleetOptions {
  urls: readonly string[]
  /** The Sparkplug group every edge node is in. */
  group: string
  devices: number
  /** Edge nodes (site-1 …) the thermostats are spread over. */
  sites: number
  /** Seconds between readings, wall clock. */
  interval: number
  timeScale: number
  mqttVersion: 4 | 5
  username?: string
  password?: string
  /** Share of thermostats (0–1) that drop off their edge node now and then (DDEATH, then a new DBIRTH). */
  flaky: number
  seed: number
  /** Births wait for this primary host application's STATE online (Sparkplug's optional wait); absent: no wait. */
  primaryHostId?: string
  /** How often a flaky thermostat drops off, on average; 1 a minute by default. */
  flakyDropsPerMinute?: number
  backoff?: BackoffOptions
}

/** How long a flaky thermostat stays off its edge node, wall clock. */
const FLAKY_OFF_MS = 1000
/** Start-up waits for the edge nodes' CONNACKs at most this long (a broker that is down). */
const START_WAIT_MS = 5000

/**
 * `simulate --format sparkplug`: each site an edge node of `group` with one MQTT connection, each thermostat a
 * Sparkplug device behind it (named like the thermopost fleet's, room-00001 …, with the same rooms for the same
 * seed), all read on one scheduler. The summary counts edge node connections; its bytes per reading are a DDATA's.
 */
export class SparkplugFleet {
  readonly counters = new LinkCounters()
  readonly edgeNodes: SparkplugEdgeNode[] = []
  readonly thermostats: SparkplugThermostat[] = []
  private readonly scheduler = new ReadingScheduler()
  private readonly summarizer: FleetSummarizer
  private readonly flaky: Array<{ edgeNode: SparkplugEdgeNode; thermostat: SparkplugThermostat }> = []
  private readonly random: SeededRandom
  private readonly timers = new Set<NodeJS.Timeout>()
  private stopping = false

  constructor(private readonly options: SparkplugFleetOptions) {
    const clock = new ModelClock(options.timeScale)
    this.random = new SeededRandom(options.seed)
    for (let site = 1; site <= options.sites; site++) {
      this.edgeNodes.push(
        new SparkplugEdgeNode({
          urls: options.urls,
          group: options.group,
          edgeNode: `site-${site}`,
          mqttVersion: options.mqttVersion,
          username: options.username,
          password: options.password,
          backoff: options.backoff,
          counters: this.counters,
          random: () => this.random.next(),
          primaryHostId: options.primaryHostId
        })
      )
    }
    const width = String(options.devices).length
    for (let index = 0; index < options.devices; index++) {
      const edgeNode = this.edgeNodes[index % options.sites]!
      const thermostat = new SparkplugThermostat({
        name: `room-${String(index + 1).padStart(Math.max(5, width), '0')}`,
        edgeNode,
        interval: options.interval,
        clock,
        random: SeededRandom.forItem(options.seed, index)
      })
      edgeNode.attach(thermostat)
      this.thermostats.push(thermostat)
      if (this.random.next() < options.flaky) this.flaky.push({ edgeNode, thermostat })
    }
    this.summarizer = new FleetSummarizer(this.counters, () => ({ count: this.edgeNodes.length, buffered: 0 }))
  }

  get flakyCount(): number {
    return this.flaky.length
  }

  /** Connects every edge node, waits for their CONNACKs (at most a few seconds), then starts the readings. */
  async start(progress: (started: number, connected: number) => void = () => {}): Promise<void> {
    for (const edgeNode of this.edgeNodes) edgeNode.start()
    const deadline = Date.now() + START_WAIT_MS
    while (this.counters.connects < this.edgeNodes.length && Date.now() < deadline && !this.stopping)
      await new Promise((resolve) => setTimeout(resolve, 5))
    if (this.stopping) return
    for (const thermostat of this.thermostats) this.scheduler.add(thermostat)
    progress(this.thermostats.length, this.counters.connected)
    if (this.flaky.length > 0) this.startFlaky()
  }

  summary(): FleetSummary {
    return this.summarizer.take()
  }

  /** Every edge node publishes its NDEATH and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.scheduler.stop()
    await Promise.all(this.edgeNodes.map((edgeNode) => edgeNode.stop()))
  }

  /** Checked every second: each flaky thermostat drops off with this chance, so drops come at the asked-for rate. */
  private startFlaky(): void {
    const dropChance = (this.options.flakyDropsPerMinute ?? 1) / 60
    const check = setInterval(() => {
      for (const { edgeNode, thermostat } of this.flaky) {
        if (this.random.next() >= dropChance) continue
        edgeNode.deviceLost(thermostat.name)
        const back = setTimeout(() => {
          this.timers.delete(back)
          edgeNode.deviceBack(thermostat.name)
        }, FLAKY_OFF_MS)
        this.timers.add(back)
      }
    }, 1000)
    this.timers.add(check)
  }
}
