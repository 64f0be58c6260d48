import type { ReadingFormat } from '../common/contract/reading-codec.js'
import type { BackoffOptions } from './backoff.js'
import { FleetSummarizer, type FleetSummary } from './fleet-summary.js'
import { LinkCounters } from './link-counters.js'
import { ModelClock } from './model/model-clock.js'
import { SeededRandom } from './model/seeded-random.js'
import { ReadingScheduler } from './reading-scheduler.js'
import { Thermostat } from './thermostat.js'

/** A fleet of simulated thermostats in one process (Simulator), ramped up in batches and summarized. */

export interface SimulatorOptions {
  urls: readonly string[]
  devices: number
  sites: number
  /** Seconds between readings, wall clock. */
  interval: number
  timeScale: number
  mqttVersion: 4 | 5
  format: ReadingFormat
  username?: string
  password?: string
  /** Share of devices (0–1) whose link drops now and then, about once a minute each. */
  flaky: number
  homeAssistant: boolean
  /** Home Assistant's discovery prefix; `homeassistant` by default. */
  homeAssistantPrefix?: string
  seed: number
  /** Connection attempts in flight at once during ramp-up. */
  rampConcurrency?: number
  /** How often a flaky device's link drops, on average; 1 a minute by default. */
  flakyDropsPerMinute?: number
  backoff?: BackoffOptions
}

/** Ramp-up waits for a batch's CONNACKs at most this long before starting more (a broker that is down). */
const RAMP_BATCH_WAIT_MS = 5000

/**
 * A fleet of simulated thermostats in one process: `sites` sites (site-1 …), devices spread over them
 * (room-00001 …), each with its own MQTT connection, room and seed, all driven by one reading
 * scheduler and one model clock. Counters are shared, so the summary costs one pass over the fleet.
 */
export class Simulator {
  readonly counters = new LinkCounters()
  readonly thermostats: Thermostat[] = []
  readonly clock: ModelClock
  private readonly scheduler = new ReadingScheduler()
  private readonly summarizer: FleetSummarizer
  private readonly flaky: Thermostat[] = []
  private readonly random: SeededRandom
  private flakyTimer: NodeJS.Timeout | undefined
  private stopping = false

  constructor(private readonly options: SimulatorOptions) {
    this.clock = new ModelClock(options.timeScale)
    this.random = new SeededRandom(options.seed)
    const width = String(options.devices).length
    for (let index = 0; index < options.devices; index++) {
      const thermostat = new Thermostat({
        urls: options.urls,
        site: `site-${(index % options.sites) + 1}`,
        device: `room-${String(index + 1).padStart(Math.max(5, width), '0')}`,
        interval: options.interval,
        clock: this.clock,
        scheduler: this.scheduler,
        random: SeededRandom.forItem(options.seed, index),
        mqttVersion: options.mqttVersion,
        username: options.username,
        password: options.password,
        format: options.format,
        homeAssistant: options.homeAssistant,
        homeAssistantPrefix: options.homeAssistantPrefix,
        counters: this.counters,
        backoff: options.backoff
      })
      this.thermostats.push(thermostat)
      if (this.random.next() < options.flaky) this.flaky.push(thermostat)
    }
    this.summarizer = new FleetSummarizer(this.counters, () => ({
      count: this.thermostats.length,
      buffered: this.thermostats.reduce((sum, thermostat) => sum + thermostat.link.buffer.length, 0)
    }))
  }

  /**
   * Starts every device, at most `rampConcurrency` connecting at a time (a broker's listen backlog is a
   * few hundred); `progress` hears how many have started and how many are connected after each batch.
   */
  async start(progress: (started: number, connected: number) => void = () => {}): Promise<void> {
    const batch = this.options.rampConcurrency ?? 50
    for (let first = 0; first < this.thermostats.length && !this.stopping; first += batch) {
      const group = this.thermostats.slice(first, first + batch)
      const target = this.counters.connects + group.length
      for (const thermostat of group) thermostat.start()
      const deadline = Date.now() + RAMP_BATCH_WAIT_MS
      while (this.counters.connects < target && Date.now() < deadline && !this.stopping)
        await new Promise((resolve) => setTimeout(resolve, 5))
      progress(first + group.length, this.counters.connected)
    }
    if (this.flaky.length > 0 && !this.stopping) {
      // Checked every second: each flaky link drops with this chance, so drops come at the asked-for average rate.
      const dropChance = (this.options.flakyDropsPerMinute ?? 1) / 60
      this.flakyTimer = setInterval(() => {
        for (const thermostat of this.flaky) if (this.random.next() < dropChance) thermostat.link.drop()
      }, 1000)
    }
  }

  summary(): FleetSummary {
    return this.summarizer.take()
  }

  /** Every device publishes `offline` and disconnects cleanly. */
  async stop(): Promise<void> {
    this.stopping = true
    clearInterval(this.flakyTimer)
    this.scheduler.stop()
    await Promise.all(this.thermostats.map((thermostat) => thermostat.stop()))
  }

  /** Devices whose links drop now and then. */
  get flakyCount(): number {
    return this.flaky.length
  }
}
