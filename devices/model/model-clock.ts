/**
 * Wall-clock time to model time: the model runs `timeScale` times faster than the wall clock from
 * the moment the clock is made. Readings carry wall-clock times (what a service would see); only the
 * physics runs fast, for demos and tests.
 */
export class ModelClock {
  readonly wallStart: number

  constructor(
    readonly timeScale = 1,
    wallStart = Date.now()
  ) {
    if (!(timeScale > 0)) throw new RangeError(`time scale must be above 0, not ${timeScale}`)
    this.wallStart = wallStart
  }

  /** Model time (ms since the epoch) at wall time `wall`. */
  modelAt(wall: number): number {
    return this.wallStart + (wall - this.wallStart) * this.timeScale
  }

  /** Wall-clock milliseconds that `modelSeconds` of model time take. */
  wallMsFor(modelSeconds: number): number {
    return (modelSeconds * 1000) / this.timeScale
  }
}
