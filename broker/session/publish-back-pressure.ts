/**
 * What the message being routed ran into: the waits of the sessions whose queues it pushed past their high mark
 * (backlog-gate.ts). Routing is synchronous, so between `begin` and `take` every hold belongs to one message; the
 * publish handler holds its connection (reads no further packets) until the waits are over.
 */
export class PublishBackPressure {
  private held: Promise<void> | undefined
  /** Further waits, when one message reached more than one held-up session (rare). */
  private more: Promise<void>[] | undefined

  /** A message is about to be routed: nothing held yet (a will or a $SYS message routed before holds no one). */
  begin(): void {
    this.held = undefined
    this.more = undefined
  }

  /** A session the message was queued for asks its publisher to wait for `wait`. */
  hold(wait: Promise<void>): void {
    if (this.held === undefined || this.held === wait) {
      this.held = wait
      return
    }
    this.more ??= []
    if (!this.more.includes(wait)) this.more.push(wait)
  }

  /** What the publisher must wait for, if anything; clears it. */
  take(): Promise<void> | undefined {
    const held = this.held
    const more = this.more
    this.begin()
    if (held === undefined || more === undefined) return held
    return Promise.all([held, ...more]).then(() => {})
  }
}
