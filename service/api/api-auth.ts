import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { tokenMatcher } from '../../common/api-token.js'

export interface ApiAuthOptions {
  /** The bearer token (see api-token.ts); needed unless `open`. */
  token?: string
  /** Let every request in without a token: for a loopback-only setup or behind a proxy that authenticates. */
  open?: boolean
  /** How long a browser login lasts; 7 days unless set. */
  sessionTtlMs?: number
  now?: () => number
}

const DAY = 86_400_000

/**
 * Who may use the API: a request with `Authorization: Bearer <token>`, or a browser holding a login session.
 * The token is compared through SHA-256 digests with timingSafeEqual, so neither its content nor its length
 * shows in response times.
 *
 * A session is `id.expiresAt.mac`, the MAC keyed by a key derived from the token: it never contains the token,
 * it survives a restart of the service (a supervised restart does not log the dashboard out), and a new token
 * ends every session. Logging out revokes the session id in memory until it would have expired anyway; a
 * restart forgets revocations, which only matters for a cookie copied before its owner logged out.
 */
export class ApiAuth {
  readonly open: boolean
  readonly sessionTtlMs: number
  private readonly matchesToken: ((candidate: string) => boolean) | undefined
  private readonly sessionKey: Buffer | undefined
  private readonly now: () => number
  /** Logged-out session ids → when they expire (after which the MAC check refuses them anyway). */
  private readonly revoked = new Map<string, number>()

  constructor(options: ApiAuthOptions) {
    if (options.open !== true && (options.token === undefined || options.token === ''))
      throw new Error('the API needs a token unless it is open')
    this.open = options.open === true
    this.sessionTtlMs = options.sessionTtlMs ?? 7 * DAY
    this.now = options.now ?? Date.now
    if (options.token !== undefined) {
      this.matchesToken = tokenMatcher(options.token)
      this.sessionKey = createHmac('sha256', options.token).update('thermopost api session v1').digest()
    }
  }

  tokenMatches(candidate: string): boolean {
    return this.matchesToken?.(candidate) === true
  }

  /** The `Authorization` header's bearer token is right, or the session cookie's value is a live session. */
  allows(authorization: string | undefined, session: string | undefined): boolean {
    if (this.open) return true
    const bearer = /^Bearer +(\S+) *$/i.exec(authorization ?? '')
    if (bearer !== null) return this.tokenMatches(bearer[1]!)
    return session !== undefined && this.sessionValid(session)
  }

  /** A new login: the cookie's value, valid for `sessionTtlMs`. */
  newSession(): string {
    const id = randomBytes(18).toString('base64url')
    const body = `${id}.${this.now() + this.sessionTtlMs}`
    return `${body}.${this.mac(body)}`
  }

  endSession(session: string): void {
    const now = this.now()
    for (const [id, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(id)
    if (!this.sessionValid(session)) return
    const [id, expiresAt] = session.split('.')
    this.revoked.set(id!, Number(expiresAt))
  }

  private sessionValid(session: string): boolean {
    const parts = session.split('.')
    if (parts.length !== 3 || this.sessionKey === undefined) return false
    const [id, expiresAt, mac] = parts as [string, string, string]
    const expected = Buffer.from(this.mac(`${id}.${expiresAt}`))
    const given = Buffer.from(mac)
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false
    return Number(expiresAt) > this.now() && !this.revoked.has(id)
  }

  private mac(body: string): string {
    return createHmac('sha256', this.sessionKey!).update(body).digest('base64url')
  }
}
