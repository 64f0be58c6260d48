import { createHash } from 'node:crypto'

/**
 * What this bridge sent to a 3.1.1 remote in the last `windowMs`, by topic and payload hash, so that the copy the
 * remote sends back on our own subscription is recognised and not published here again. 3.1.1 has no No Local
 * (5.0 subscriptions use it instead) and no user properties to mark a message with. The price: a message that
 * another client publishes at the remote, on the same topic with the same payload, within the window after ours,
 * is taken for the echo and not brought in (once per message we sent).
 */
export class EchoFilter {
  /** Key → when each copy sent under it stops counting as ours, oldest first. */
  private readonly sent = new Map<string, number[]>()
  private lastSweep = 0

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now
  ) {}

  /** A message went to the remote on `topic`. */
  remember(topic: string, payload: Buffer): void {
    const now = this.now()
    this.sweep(now)
    const key = keyOf(topic, payload)
    const expiries = this.sent.get(key)
    if (expiries === undefined) this.sent.set(key, [now + this.windowMs])
    else expiries.push(now + this.windowMs)
  }

  /** A message came from the remote: true when it is the echo of one we sent (and is then forgotten). */
  isEcho(topic: string, payload: Buffer): boolean {
    const now = this.now()
    this.sweep(now)
    const key = keyOf(topic, payload)
    const expiries = this.sent.get(key)
    if (expiries === undefined) return false
    expiries.shift()
    if (expiries.length === 0) this.sent.delete(key)
    return true
  }

  get size(): number {
    return this.sent.size
  }

  /** Forgets what is past its window, at most once a window's tenth, so the map stays as small as the window. */
  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs / 10) return
    this.lastSweep = now
    for (const [key, expiries] of this.sent) {
      while (expiries.length > 0 && expiries[0]! <= now) expiries.shift()
      if (expiries.length === 0) this.sent.delete(key)
    }
  }
}

function keyOf(topic: string, payload: Buffer): string {
  return `${topic}\u0000${createHash('sha1').update(payload).digest('base64')}`
}
