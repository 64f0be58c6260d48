/** 5.0 Session Expiry Interval that means "never" (spec 3.1.2.11.2). */
export const NEVER_EXPIRES = 0xffffffff

/** Node timers hold at most 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 0x7fffffff

/** A cancellable wait of `seconds` (up to 136 years), that never keeps the process alive. */
export class Deadline {
  private timer: NodeJS.Timeout | undefined
  /** When it runs out, in ms since the epoch. */
  readonly at: number

  constructor(
    seconds: number,
    private readonly callback: () => void
  ) {
    this.at = Date.now() + seconds * 1000
    this.arm()
  }

  cancel(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private arm(): void {
    const left = this.at - Date.now()
    if (left <= 0) {
      this.timer = undefined
      this.callback()
      return
    }
    this.timer = setTimeout(() => this.arm(), Math.min(left, MAX_TIMER_MS))
    this.timer.unref()
  }
}
