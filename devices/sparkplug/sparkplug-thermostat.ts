import { SETPOINT_RANGE } from '../../common/contract/command.js'
import type { ModelClock } from '../model/model-clock.js'
import type { RoomModel } from '../model/room-model.js'
import type { SeededRandom } from '../model/seeded-random.js'
import type { Sensor } from '../model/sensor.js'
import { createThermostatRoom, type InitialRoom } from '../model/thermostat-room.js'
import type { Scheduled } from '../reading-scheduler.js'
import type { ThermostatValues } from './edge-node-payloads.js'
import type { EdgeDevice, SparkplugEdgeNode } from './sparkplug-edge-node.js'

export interface SparkplugThermostatOptions {
  name: string
  edgeNode: SparkplugEdgeNode
  /** Seconds between readings, wall clock. */
  interval: number
  clock: ModelClock
  random: SeededRandom
  /** The first reading's time; by default somewhere in the first interval. */
  firstReadingAt?: number
  initial?: InitialRoom
}

/**
 * A simulated thermostat behind a Sparkplug edge node: the same room and sensor as a thermopost thermostat, its
 * readings handed to the edge node every `interval` (on the fleet's shared scheduler), its setpoint written by DCMD.
 */
export class SparkplugThermostat implements Scheduled, EdgeDevice {
  readonly model: RoomModel
  nextDue: number
  private readonly sensor: Sensor

  constructor(private readonly options: SparkplugThermostatOptions) {
    const now = Date.now()
    const { model, sensor } = createThermostatRoom(options.random, options.clock, now, options.initial)
    this.model = model
    this.sensor = sensor
    this.nextDue = options.firstReadingAt ?? now + options.random.next() * options.interval * 1000
  }

  get name(): string {
    return this.options.name
  }

  current(now: number): ThermostatValues {
    this.model.advanceTo(this.options.clock.modelAt(now))
    return { temperature: this.sensor.read(this.model.temperature), setpoint: this.model.setpoint, heating: this.model.heating }
  }

  due(now: number): void {
    // On the interval's grid; after a stall start again from now rather than catch up in a burst.
    this.nextDue = Math.max(this.nextDue + this.options.interval * 1000, now + 1)
    this.options.edgeNode.report(this.options.name, this.current(now), now)
  }

  writeSetpoint(value: number): boolean {
    const { min, max } = SETPOINT_RANGE
    if (!Number.isFinite(value) || value < min || value > max) return false
    this.model.advanceTo(this.options.clock.modelAt(Date.now()))
    this.model.setSetpoint(value)
    return true
  }
}
