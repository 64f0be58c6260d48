const DAY_SECONDS = 86_400

/**
 * The outside air: a daily cosine around a mean, warmest at `warmestHour` (UTC, to keep every
 * simulated site on one clock). A room model needs its mean, amplitude and phase for its closed form.
 */
export class OutsideTemperature {
  /** Radians per second of the daily cycle. */
  static readonly omega = (2 * Math.PI) / DAY_SECONDS

  constructor(
    readonly mean = 5,
    readonly amplitude = 4,
    readonly warmestHour = 15
  ) {}

  /** °C at `time` (ms since the epoch, model time). */
  at(time: number): number {
    return this.mean + this.amplitude * Math.cos(this.phaseAt(time))
  }

  /** The cycle's angle at `time`: 0 at the warmest moment of the day. */
  phaseAt(time: number): number {
    return OutsideTemperature.omega * (time / 1000 - this.warmestHour * 3600)
  }
}
