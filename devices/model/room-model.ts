import type { Mode } from '../../common/contract/mode.js'
import { OutsideTemperature } from './outside-temperature.js'
import type { SeededRandom } from './seeded-random.js'

/** A room's physics and its thermostat's control; SI units. */
export interface RoomParameters {
  /** J/K: air, furniture and the inner skin of the walls. */
  heatCapacity: number
  /** W/K: heat lost through walls, windows and air change per kelvin of difference to outside (1 / thermal resistance). */
  lossCoefficient: number
  /** W, when on. */
  heaterPower: number
  /** K: the heater goes on below setpoint − hysteresis/2 and off above setpoint + hysteresis/2. */
  hysteresis: number
  /** Seconds of model time between the controller's looks at the temperature. */
  controlPeriod: number
}

export interface RoomState {
  /** Model time, ms since the epoch. */
  time: number
  /** True air temperature, °C. */
  temperature: number
  setpoint: number
  mode: Mode
}

/** A plausible room, varied per device: heats at roughly 1–3 °C an hour, cools over a day. */
export function randomRoomParameters(random: SeededRandom): RoomParameters {
  return {
    heatCapacity: random.between(1.2e6, 2.0e6),
    lossCoefficient: random.between(50, 70),
    heaterPower: random.between(2000, 3000),
    hysteresis: 0.5,
    controlPeriod: 30
  }
}

/**
 * A room as one lumped thermal mass: C·dT/dt = UA·(T_out(t) − T) + P·heating. With the heater state
 * fixed the equation is linear with a cosine forcing, so it has a closed form,
 *   T(t) = T_p(t) + (T(t0) − T_p(t0))·e^(−(t−t0)/τ),  τ = C/UA,
 *   T_p(t) = mean + P/UA + amplitude/√(1+(ωτ)²)·cos(phase(t) − atan(ωτ)),
 * and `advanceTo` is exact between control decisions, however far it jumps: the thermostat's
 * controller looks every `controlPeriod` seconds and only there may the heater switch. Prediction
 * uses the same closed form, without the controller and the sensor.
 */
export class RoomModel {
  private state: RoomState
  private heater = false
  /** Model time of the controller's last look; it looks again `controlPeriod` later. */
  private lastControl = 0
  /** τ in seconds. */
  private readonly tau: number
  /** The steady cosine's amplitude and phase lag behind the outside one. */
  private readonly swing: number
  private readonly lag: number

  constructor(
    readonly parameters: RoomParameters,
    readonly outside: OutsideTemperature,
    initial: RoomState
  ) {
    this.state = { ...initial }
    this.tau = parameters.heatCapacity / parameters.lossCoefficient
    const omegaTau = OutsideTemperature.omega * this.tau
    this.swing = outside.amplitude / Math.sqrt(1 + omegaTau * omegaTau)
    this.lag = Math.atan(omegaTau)
    this.control()
  }

  get time(): number {
    return this.state.time
  }
  get temperature(): number {
    return this.state.temperature
  }
  get setpoint(): number {
    return this.state.setpoint
  }
  get mode(): Mode {
    return this.state.mode
  }
  get heating(): boolean {
    return this.heater
  }

  /** Takes effect from the model's current time; the controller looks again at once. */
  setSetpoint(setpoint: number): void {
    this.state.setpoint = setpoint
    this.control()
  }

  setMode(mode: Mode): void {
    this.state.mode = mode
    this.control()
  }

  /** Runs the room forward to model time `time` (ms); a time in the past is ignored. */
  advanceTo(time: number): void {
    const periodMs = this.parameters.controlPeriod * 1000
    while (this.state.time < time) {
      const nextControl = this.lastControl + periodMs
      const next = Math.min(time, nextControl)
      this.state.temperature = this.temperatureAt(next, this.heater, this.state.time, this.state.temperature)
      this.state.time = next
      if (next === nextControl) this.control()
    }
  }

  /**
   * Model seconds until the air reaches `target` from now, heating if it is below and coasting if
   * above (what the controller does on a setpoint change); Infinity if it never does within
   * `horizonSeconds` (a heater too weak, mode off below target, or a target under the outside air).
   */
  predictSecondsToReach(target: number, horizonSeconds = 7 * 86_400): number {
    const { time: start, temperature } = this.state
    if (temperature === target) return 0
    const rising = target > temperature
    if (rising && this.state.mode === 'off') return Infinity
    const past = (t: number): boolean => {
      const value = this.temperatureAt(t, rising, start, temperature)
      return rising ? value >= target : value <= target
    }
    // Scan in steps short against τ and the day, then halve the step that crosses.
    const stepMs = (Math.min(this.tau, 3600) / 10) * 1000
    let low = start
    for (let high = start + stepMs; high <= start + horizonSeconds * 1000; low = high, high += stepMs) {
      if (!past(high)) continue
      while (high - low > 100) {
        const middle = (low + high) / 2
        if (past(middle)) high = middle
        else low = middle
      }
      return (high - start) / 1000
    }
    return Infinity
  }

  private control(): void {
    const { temperature, setpoint, mode } = this.state
    const half = this.parameters.hysteresis / 2
    this.heater = mode === 'heat' && (this.heater ? temperature < setpoint + half : temperature < setpoint - half)
    this.lastControl = this.state.time
  }

  /** The closed form: temperature at `time` from `temperature0` at `time0`, the heater held `heating` throughout. */
  private temperatureAt(time: number, heating: boolean, time0: number, temperature0: number): number {
    const decay = Math.exp(-(time - time0) / 1000 / this.tau)
    return this.steady(time, heating) + (temperature0 - this.steady(time0, heating)) * decay
  }

  /** The periodic solution the room settles into with the heater held on or off. */
  private steady(time: number, heating: boolean): number {
    const { heaterPower, lossCoefficient } = this.parameters
    return this.outside.mean + (heating ? heaterPower / lossCoefficient : 0) + this.swing * Math.cos(this.outside.phaseAt(time) - this.lag)
  }
}
