import { type Command, INTERVAL_RANGE } from '../common/contract/command.js'
import type { MetaMessage } from '../common/contract/meta.js'
import { version } from '../common/version.js'
import type { BackoffOptions } from './backoff.js'
import { type CommandOutcome, DeviceLink } from './device-link.js'
import { discoveryLinkOptions, discoveryTopic, sensorConfig } from './home-assistant.js'
import type { Sensor } from './sensors/sensor.js'

export interface AgentOptions {
  /** Brokers to fail over through, in order. */
  urls: readonly string[]
  site: string
  /** Seconds between readings, per sensor, until an interval command changes one. */
  interval: number
  sensors: readonly Sensor[]
  mqttVersion?: 4 | 5
  username?: string
  password?: string
  backoff?: BackoffOptions
  /** Home Assistant's discovery prefix: each sensor is announced there as a temperature sensor. Undefined: no discovery. */
  homeAssistantPrefix?: string
  /** A sensor started failing (its first failed read after good ones, or at start). */
  onReadFailure?: (sensor: Sensor, error: Error) => void
  /** A failing sensor gave a reading again; `failures` is its count of failed attempts so far. */
  onReadRecovery?: (sensor: Sensor) => void
}

/**
 * `thermopost agent`: this machine's temperature sensors, each published as a device of the device
 * contract under its sensor id, over a connection of its own (the contract gives every device its own
 * status and will). Readings carry the time the read began; a read that fails sends nothing, since a
 * guess would look like a measurement. Of the commands only `interval` applies to a sensor; the others
 * are refused with a reason.
 */
export class Agent {
  readonly devices: readonly SensorDevice[]

  constructor(options: AgentOptions) {
    this.devices = options.sensors.map((sensor) => new SensorDevice(sensor, options))
  }

  start(): void {
    for (const device of this.devices) device.start()
  }

  /** Stops reading, publishes `offline` for every sensor and disconnects. */
  async stop(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.stop()))
  }
}

/** One sensor as a device: its own link, its own reading timer and interval. */
class SensorDevice {
  readonly link: DeviceLink
  private interval: number
  private timer: NodeJS.Timeout | undefined
  /** When the current or last read began, ms since the epoch; the next one is due an interval later. */
  private lastReadAt = 0
  private reading = false
  private failing = false
  private stopped = false

  constructor(
    readonly sensor: Sensor,
    private readonly options: AgentOptions
  ) {
    this.interval = options.interval
    this.link = new DeviceLink({
      urls: options.urls,
      site: options.site,
      device: sensor.id,
      mqttVersion: options.mqttVersion,
      username: options.username,
      password: options.password,
      backoff: options.backoff,
      meta: () => this.meta(),
      onCommand: (command) => this.handle(command),
      ...(options.homeAssistantPrefix === undefined ? {} : discoveryLinkOptions(options.homeAssistantPrefix, () => this.announce()))
    })
  }

  get readingInterval(): number {
    return this.interval
  }

  start(): void {
    this.link.start()
    this.schedule(Date.now())
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.link.stop()
  }

  meta(): MetaMessage {
    return { model: this.sensor.model, firmware: version, unit: '°C', interval: this.interval }
  }

  /** Home Assistant discovery, retained: on every connect and whenever Home Assistant says it is back. */
  private announce(): void {
    const { site, homeAssistantPrefix } = this.options
    const device = { site, device: this.sensor.id, model: this.sensor.model, firmware: version }
    this.link.publish(discoveryTopic(site, this.sensor.id, 'sensor', homeAssistantPrefix), sensorConfig(device), true)
  }

  private schedule(at: number): void {
    clearTimeout(this.timer)
    if (this.stopped) return
    this.timer = setTimeout(
      () => {
        this.take().catch(() => {})
      },
      Math.max(0, at - Date.now())
    )
  }

  private async take(): Promise<void> {
    const time = Date.now()
    // After a stall, start again from now rather than catch up in a burst.
    this.schedule(time + this.interval * 1000)
    // A slow 1-wire read (750 ms per conversion, up to three attempts) may outlast a short interval: skip this turn rather than pile up.
    if (this.reading) return
    this.reading = true
    this.lastReadAt = time
    try {
      const temperature = await this.sensor.read()
      if (this.stopped) return
      this.link.sendReading({ time, temperature })
      if (this.failing) {
        this.failing = false
        this.options.onReadRecovery?.(this.sensor)
      }
    } catch (error) {
      if (!this.failing && !this.stopped) this.options.onReadFailure?.(this.sensor, error as Error)
      this.failing = true
    } finally {
      this.reading = false
    }
  }

  private handle(command: Command): CommandOutcome {
    if (command.name !== 'interval') return { ok: false, reason: `a sensor takes only the interval command, not ${command.name}` }
    const { min, max } = INTERVAL_RANGE
    if (command.value < min || command.value > max) return { ok: false, reason: `interval ${command.value} s is outside ${min}–${max} s` }
    this.interval = command.value
    this.schedule(this.lastReadAt + this.interval * 1000)
    this.link.publishMeta()
    return { ok: true, value: command.value }
  }
}
