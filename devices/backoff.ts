/** Reconnect delays: doubling from `initialMs` up to `maxMs`, each drawn at random from its upper half. */
export interface BackoffOptions {
  initialMs: number
  maxMs: number
}

export const defaultBackoff: Readonly<BackoffOptions> = Object.freeze({ initialMs: 500, maxMs: 30_000 })

/**
 * Exponential backoff with jitter, so a fleet that lost its broker at one instant does not come back
 * at one instant ("equal jitter": half the delay fixed, half random, never below initialMs / 2).
 */
export class Backoff {
  private attempt = 0

  constructor(
    private readonly options: BackoffOptions = defaultBackoff,
    private readonly random: () => number = Math.random
  ) {}

  /** The delay before the next attempt; each call doubles the next one's ceiling. */
  next(): number {
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.attempt, 30))
    this.attempt++
    return ceiling / 2 + (this.random() * ceiling) / 2
  }

  /** After a connection that worked: the next loss starts from the shortest delay again. */
  reset(): void {
    this.attempt = 0
  }
}
