import { isIPv4, isIPv6 } from 'node:net'

/**
 * Slows down password guessing, per (address, user name) pair: only the pair that failed is slowed.
 *
 * Each pair has a count of failed logins. The first `freeFailures` cost nothing; after that every attempt
 * of the pair, right or wrong, is held `baseDelayMs × 2^(failures − freeFailures)` (at most `maxDelayMs`)
 * before it is checked and answered. Holding the pair's right answers too is the point: if only wrong ones
 * waited, a guesser would take "no answer yet" for "wrong" and never wait. Attempts of one pair are answered
 * one after another at that pace, so opening many connections at once gains nothing; an attempt that would
 * have to wait more than `maxWaitMs` behind the others is refused at once, unchecked.
 *
 * Counting per pair rather than per address is what keeps the throttle off everyone else: one person's
 * typos (or an attacker guessing at `admin`) never slow a correct login of another user from the same
 * address, a NAT'd site or the loopback of `thermopost start` where the service, the devices and the admin
 * all log in, nor the same user from another address. An unknown user name is a pair like any other, so
 * the timing says nothing about which names exist. What it costs: a guesser gets `freeFailures` free tries
 * per user name before the holds start.
 *
 * An attempt counts as a failure from the moment it is admitted until it turns out right, so that attempts
 * sent all at once are paced like attempts sent one by one; a successful login takes back only its own
 * count. The count is forgotten after `forgetAfterMs` without a failure.
 *
 * Loopback is not exempt: a client with the right password never fails, so local load tests and simulators
 * are not slowed, while a reverse proxy or a local process guessing passwords would otherwise guess freely.
 * `exempt` can say otherwise.
 *
 * Memory is bounded: at most `maxPairs` entries, roughly in order of last failure (a Map keeps insertion
 * order and an entry is moved to the end on each failure), so the stale and the oldest are dropped first,
 * without timers. IPv6 addresses count per /64, what one host usually has to itself; IPv4-mapped IPv6 counts as IPv4.
 */

export interface LoginThrottleOptions {
  /** Failed logins of one pair before its attempts are held. */
  freeFailures: number
  /** The hold after the first failure beyond `freeFailures`; doubles with each further failure. */
  baseDelayMs: number
  maxDelayMs: number
  /** An attempt that would wait longer than this (behind others from its address) is refused unchecked. */
  maxWaitMs: number
  /** A pair with no failure for this long starts afresh. */
  forgetAfterMs: number
  /** Pairs remembered at most. */
  maxPairs: number
  /** Addresses never held (e.g. a trusted proxy); none by default. */
  exempt?: (address: string) => boolean
  /** Milliseconds; injectable for tests. */
  now?: () => number
}

export const defaultLoginThrottleOptions: LoginThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxWaitMs: 60_000,
  forgetAfterMs: 15 * 60_000,
  maxPairs: 10_000
}

interface Entry {
  failures: number
  /** When the latest failure (or attempt not yet known to be right) was answered, or will be. */
  lastFailureAt: number
  /** When the latest admitted attempt from this address is answered; the next one is held until then + delay. */
  busyUntil: number
}

/** What to do with an attempt: check it after `delayMs`, or refuse it unchecked (too many waiting). */
export type Admission = { delayMs: number } | { refused: true }

export class LoginThrottle {
  private readonly options: LoginThrottleOptions
  private readonly now: () => number
  private readonly entries = new Map<string, Entry>()

  constructor(options: Partial<LoginThrottleOptions> = {}) {
    this.options = { ...defaultLoginThrottleOptions, ...options }
    this.now = this.options.now ?? Date.now
  }

  /**
   * Call before checking an attempt of `username` from `address`: hold it `delayMs`, then check it. The
   * attempt counts as a failure from now on, so that attempts sent all at once are paced like attempts sent
   * one by one; call `succeeded` if it turns out right.
   */
  admit(address: string | undefined, username?: string): Admission {
    if (this.options.exempt?.(addressKey(address)) === true) return { delayMs: 0 }
    const key = pairKey(address, username)
    const now = this.now()
    const entry = this.current(key) ?? { failures: 0, lastFailureAt: now, busyUntil: 0 }
    let admission: Admission = { delayMs: 0 }
    if (entry.failures >= this.options.freeFailures) {
      const answerAt = Math.max(now, entry.busyUntil) + this.delayAfter(entry.failures)
      if (answerAt - now > this.options.maxWaitMs) {
        admission = { refused: true }
      } else {
        entry.busyUntil = answerAt
        admission = { delayMs: answerAt - now }
      }
    }
    entry.failures += 1
    entry.lastFailureAt = 'delayMs' in admission ? now + admission.delayMs : now // when it is answered
    this.entries.delete(key)
    this.sweep(now)
    this.entries.set(key, entry)
    return admission
  }

  /** The attempt admitted last for this pair was right: it no longer counts as a failure. */
  succeeded(address: string | undefined, username?: string): void {
    const key = pairKey(address, username)
    const entry = this.entries.get(key)
    if (entry === undefined) return
    entry.failures -= 1
    if (entry.failures <= 0) this.entries.delete(key)
  }

  /** Failed logins counted for the pair (0 once forgotten). */
  failures(address: string | undefined, username?: string): number {
    return this.current(pairKey(address, username))?.failures ?? 0
  }

  /** The pairs remembered now; never more than `maxPairs`. */
  get size(): number {
    return this.entries.size
  }

  /** The hold for an address with `failures` failed logins. */
  delayAfter(failures: number): number {
    const over = failures - this.options.freeFailures
    if (over < 0) return 0
    return Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over, 30))
  }

  private current(key: string): Entry | undefined {
    const entry = this.entries.get(key)
    if (entry !== undefined && this.now() - entry.lastFailureAt >= this.options.forgetAfterMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /** Drops forgotten entries from the front (oldest failure first), then the oldest beyond the bound. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.lastFailureAt < this.options.forgetAfterMs && this.entries.size < this.options.maxPairs) break
      this.entries.delete(key)
    }
  }
}

/** One pair's key: no user name (anonymous, or missing) is a name of its own. */
function pairKey(address: string | undefined, username: string | undefined): string {
  return `${addressKey(address)}\u0000${username ?? ''}`
}

/** The unit an address is counted in: itself for IPv4, its /64 for IPv6. */
export function addressKey(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return mapped[1]!
  if (isIPv4(address) || !isIPv6(address)) return address
  const groups = expandIPv6(address.split('%')[0]!)
  return `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, in lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const front = head === '' ? [] : head.split(':')
  const back = tail === undefined || tail === '' ? [] : tail.split(':')
  const zeros = tail === undefined ? [] : new Array<string>(8 - front.length - back.length).fill('0')
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16).toString(16))
}
