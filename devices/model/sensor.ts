import type { SeededRandom } from './seeded-random.js'

/** A temperature sensor: Gaussian noise on the true value, then rounded to its resolution, as a real one reports. */
export class Sensor {
  /** Decimal places a reading keeps, so 0.1 steps print as 20.3 and not 20.299999999999997. */
  private readonly decimals: number

  constructor(
    private readonly random: SeededRandom,
    readonly noise = 0.05,
    readonly resolution = 0.1
  ) {
    this.decimals = Math.max(0, Math.ceil(-Math.log10(resolution) - 1e-9))
  }

  read(trueCelsius: number): number {
    const noisy = trueCelsius + this.noise * this.random.normal()
    return Number((Math.round(noisy / this.resolution) * this.resolution).toFixed(this.decimals))
  }
}
