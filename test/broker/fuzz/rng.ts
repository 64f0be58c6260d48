import { SeededRandom } from '../../../devices/model/seeded-random.js'

/** The seeded generator of the device simulator (mulberry32), with the choices a fuzzer makes. */
export class Rng extends SeededRandom {
  /** Whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Whole number in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}
