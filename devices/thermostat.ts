import { type Command, INTERVAL_RANGE, SETPOINT_RANGE } from '../common/contract/command.js'
import type { MetaMessage } from '../common/contract/meta.js'
import type { ReadingFormat } from '../common/contract/reading-codec.js'
import type { BackoffOptions } from './backoff.js'
import { type CommandOutcome, DeviceLink } from './device-link.js'
import { climateConfig, DEFAULT_DISCOVERY_PREFIX, discoveryLinkOptions, discoveryTopic } from './home-assistant.js'
import type { LinkCounters } from './link-counters.js'
import type { ModelClock } from './model/model-clock.js'
import type { RoomModel } from './model/room-model.js'
import type { SeededRandom } from './model/seeded-random.js'
import type { Sensor } from './model/sensor.js'
import { createThermostatRoom, type InitialRoom } from './model/thermostat-room.js'
import type { ReadingScheduler, Scheduled } from './reading-scheduler.js'

export const THERMOSTAT_MODEL = 'thermopost-sim-thermostat'
export const THERMOSTAT_FIRMWARE = '1.0.0'
/** A reboot keeps the device off the network this long (wall clock). */
const REBOOT_MS = 1000

export interface ThermostatOptions {
  urls: readonly string[]
  site: string
  device: string
  /** Seconds between readings, wall clock. */
  interval: number
  clock: ModelClock
  scheduler: ReadingScheduler
  /** This device's own generator: its room, its sensor noise and its reconnect jitter. */
  random: SeededRandom
  mqttVersion?: 4 | 5
  username?: string
  password?: string
  format?: ReadingFormat
  /** Publish Home Assistant discovery (a climate entity); needs format json. */
  homeAssistant?: boolean
  /** Home Assistant's discovery prefix; `homeassistant` by default. */
  homeAssistantPrefix?: string
  counters?: LinkCounters
  backoff?: BackoffOptions
  bufferLimit?: number
  /** The first reading's time; by default somewhere in the first interval, so a fleet does not report in step. */
  firstReadingAt?: number
  /** The room's state at start; by default drawn from `random`. */
  initial?: InitialRoom
}

/**
 * A simulated thermostat: a room model, a sensor and a device link. It reports every `interval`
 * (temperature, setpoint, heater state, mode) and takes the setpoint, interval, mode and reboot
 * commands. Readings are taken on the fleet's shared scheduler, not a timer of its own.
 */
export class Thermostat implements Scheduled {
  readonly link: DeviceLink
  readonly model: RoomModel
  nextDue: number
  private interval: number
  private readonly sensor: Sensor
  private offUntil = 0

  constructor(private readonly options: ThermostatOptions) {
    const { random, clock } = options
    this.interval = options.interval
    const now = Date.now()
    const { model, sensor } = createThermostatRoom(random, clock, now, options.initial)
    this.model = model
    this.sensor = sensor
    this.nextDue = options.firstReadingAt ?? now + random.next() * this.interval * 1000
    const prefix = options.homeAssistantPrefix ?? DEFAULT_DISCOVERY_PREFIX
    this.link = new DeviceLink({
      urls: options.urls,
      site: options.site,
      device: options.device,
      mqttVersion: options.mqttVersion,
      username: options.username,
      password: options.password,
      format: options.format,
      counters: options.counters,
      backoff: options.backoff,
      bufferLimit: options.bufferLimit,
      random: () => random.next(),
      meta: () => this.meta(),
      onCommand: (command) => this.handle(command),
      ...(options.homeAssistant === true ? discoveryLinkOptions(prefix, () => this.announce(prefix)) : {})
    })
  }

  get site(): string {
    return this.options.site
  }
  get device(): string {
    return this.options.device
  }
  get readingInterval(): number {
    return this.interval
  }

  start(): void {
    this.link.start()
    this.options.scheduler.add(this)
  }

  async stop(): Promise<void> {
    this.options.scheduler.remove(this)
    await this.link.stop()
  }

  meta(): MetaMessage {
    return { model: THERMOSTAT_MODEL, firmware: THERMOSTAT_FIRMWARE, unit: '°C', interval: this.interval }
  }

  /** Takes a reading now: runs the room up to the model time of `now`, reads the sensor, hands the reading to the link. */
  due(now: number): void {
    // Stay on the interval's grid; after a stall (a busy event loop) start again from now rather than catch up in a burst.
    this.nextDue = Math.max(this.nextDue + this.interval * 1000, now + 1)
    if (now < this.offUntil) return
    this.model.advanceTo(this.options.clock.modelAt(now))
    this.link.sendReading({
      time: now,
      temperature: this.sensor.read(this.model.temperature),
      setpoint: this.model.setpoint,
      heating: this.model.heating,
      mode: this.model.mode
    })
  }

  private handle(command: Command): CommandOutcome {
    this.model.advanceTo(this.options.clock.modelAt(Date.now()))
    switch (command.name) {
      case 'setpoint': {
        const { min, max } = SETPOINT_RANGE
        if (command.value < min || command.value > max)
          return { ok: false, reason: `setpoint ${command.value} °C is outside ${min}–${max} °C` }
        this.model.setSetpoint(command.value)
        return { ok: true, value: command.value }
      }
      case 'interval': {
        const { min, max } = INTERVAL_RANGE
        if (command.value < min || command.value > max)
          return { ok: false, reason: `interval ${command.value} s is outside ${min}–${max} s` }
        this.nextDue += (command.value - this.interval) * 1000
        this.interval = command.value
        this.link.publishMeta()
        return { ok: true, value: command.value }
      }
      case 'mode':
        this.model.setMode(command.value)
        return { ok: true, value: command.value }
      case 'reboot':
        return {
          ok: true,
          after: () => {
            this.offUntil = Date.now() + REBOOT_MS
            this.link.drop(REBOOT_MS)
          }
        }
    }
  }

  /** Home Assistant discovery, retained: on every connect and whenever Home Assistant says it is back. */
  private announce(prefix: string): void {
    const { site, device } = this.options
    this.link.publish(
      discoveryTopic(site, device, 'climate', prefix),
      climateConfig({ site, device, model: THERMOSTAT_MODEL, firmware: THERMOSTAT_FIRMWARE }),
      true
    )
  }
}
