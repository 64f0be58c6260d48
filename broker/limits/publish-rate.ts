/**
 * A token bucket for one client's PUBLISHes: `perSecond` tokens a second, holding at most one
 * second's worth, so a short burst passes and a sustained flood does not.
 */
export class PublishRate {
  private tokens: number
  private updatedAt: number

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now
  ) {
    this.tokens = perSecond
    this.updatedAt = now()
  }

  /** Takes a token for one PUBLISH; false when the client is over its rate. */
  take(): boolean {
    const now = this.now()
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000)
    this.updatedAt = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }
}
