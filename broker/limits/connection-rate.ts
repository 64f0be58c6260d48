/**
 * New connections per second per address, counted in one-second windows. Addresses seen are
 * forgotten after a quiet window, and the table is bounded: when it is full, the oldest windows go.
 * Loopback is exempt unless asked, so local tools and load tests are never throttled.
 */
export class ConnectionRate {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly perSecond: number,
    private readonly includeLoopback: boolean,
    private readonly maxAddresses = 100_000,
    private readonly now: () => number = Date.now
  ) {}

  /** Counts a new connection from `address`; false when it is over the limit. */
  admit(address: string | undefined): boolean {
    if (this.perSecond === 0 || address === undefined) return true
    if (!this.includeLoopback && isLoopback(address)) return true
    const now = this.now()
    const window = this.windows.get(address)
    if (window === undefined || now - window.start >= 1000) {
      if (window === undefined && this.windows.size >= this.maxAddresses) this.evict(now)
      this.windows.set(address, { start: now, count: 1 })
      return true
    }
    window.count++
    return window.count <= this.perSecond
  }

  get size(): number {
    return this.windows.size
  }

  /** Drops windows that have ended; if none have, the oldest entries (Map order is insertion order). */
  private evict(now: number): void {
    for (const [address, window] of this.windows) if (now - window.start >= 1000) this.windows.delete(address)
    const excess = this.windows.size - Math.floor(this.maxAddresses * 0.9)
    if (excess <= 0) return
    let dropped = 0
    for (const address of this.windows.keys()) {
      if (dropped++ >= excess) break
      this.windows.delete(address)
    }
  }
}

export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.')
}
