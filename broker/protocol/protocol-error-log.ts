import type { Logger } from 'pino'

/** One connection ended for what it sent. */
export interface ProtocolErrorReport {
  readonly address: string | undefined
  /** Empty before an accepted CONNECT named one. */
  readonly clientId: string
  readonly protocolVersion: 3 | 4 | 5
  readonly reasonCode: number
  /** What was wrong, e.g. "PUBLISH with both QoS bits set". */
  readonly problem: string
}

export interface ProtocolErrorLogOptions {
  /** Lines at most per window; past it the rest are counted and summed up in one line when the next window opens. */
  maxLines: number
  windowMs: number
  /** Milliseconds; injectable for tests. */
  now: () => number
}

/**
 * Logs one line per connection closed for a protocol error (malformed packet, protocol violation): its
 * address, client id when known, reason code and what was wrong, as Mosquitto does, so an operator can find a
 * broken client. Rate-limited, because a client can produce these as fast as it can connect: at most
 * `maxLines` a window, then a count of those not logged, without timers.
 */
export class ProtocolErrorLog {
  private readonly options: ProtocolErrorLogOptions
  private windowStart = Number.NEGATIVE_INFINITY
  private linesInWindow = 0
  private notLogged = 0

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    options: Partial<ProtocolErrorLogOptions> = {}
  ) {
    this.options = { maxLines: 20, windowMs: 60_000, now: Date.now, ...options }
  }

  report({ address, clientId, protocolVersion, reasonCode, problem }: ProtocolErrorReport): void {
    const now = this.options.now()
    if (now - this.windowStart >= this.options.windowMs) {
      if (this.notLogged > 0) {
        this.logger.warn({ notLogged: this.notLogged }, `${this.notLogged} more connection(s) closed for protocol errors, not logged`)
      }
      this.windowStart = now
      this.linesInWindow = 0
      this.notLogged = 0
    }
    if (this.linesInWindow >= this.options.maxLines) {
      this.notLogged++
      return
    }
    this.linesInWindow++
    const reason = `0x${reasonCode.toString(16).padStart(2, '0')}`
    this.logger.warn(
      { address, clientId: clientId === '' ? undefined : clientId, protocolVersion, reasonCode: reason },
      `connection closed for a protocol error (${reason}): ${problem}`
    )
  }
}
