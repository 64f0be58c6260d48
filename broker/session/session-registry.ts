import type { SessionOwner, StoredSession } from '../store/store.js'
import type { Session } from './session.js'
import type { QueueLimits, SessionLink } from './session-link.js'
import type { Will } from './will.js'

/** What an accepted CONNECT asks of its session. */
export interface SessionRequest {
  readonly clientId: string
  /** The user name of the connection: the owner of a session it makes, and who authorizes its will once it is gone. */
  readonly username: string | undefined
  /** Clean Start (3.1.1: Clean Session): any session of the client id is discarded first. */
  readonly cleanStart: boolean
  /** The Session Expiry Interval granted, in seconds (0: the session ends with its connection). */
  readonly expiry: number
  readonly will: Will | undefined
  /** Limits of the session's queue other than the broker's (a bridge's own); the broker's when absent. */
  readonly queueLimits?: QueueLimits
}

export type OpenResult = OpenedSession | OwnerMismatch | SessionUnavailable

export interface OpenedSession {
  readonly session: Session
  /** CONNACK Session Present: an existing session was resumed. */
  readonly present: boolean
}

/** The client id's session belongs to another user, and the broker refuses rather than discard it. */
export interface OwnerMismatch {
  readonly refused: 'owner-mismatch'
  readonly owner: SessionOwner
}

/** The session could not be reached (a cluster whose shared store is away): the client should come back later. */
export interface SessionUnavailable {
  readonly refused: 'unavailable'
}

/**
 * Who holds the session of each client id, and the life of a session around its connections: open (take
 * over, resume, or start clean), the end of a connection, expiry, restore after a restart.
 * LocalSessionRegistry keeps them in this process; a cluster would hold each session by a lease in a shared
 * store, and answer `open` only once it has the lease.
 */
export interface SessionRegistry {
  /** Sessions held, connected or waiting offline for their expiry. */
  readonly count: number
  /**
   * Binds `link` to the session of `request.clientId`: a connection still attached to it is taken over
   * [MQTT-3.1.4-3], then the session is resumed, or made new (Clean Start, or none there). A session is only
   * resumed or taken over by its owner: for another user the answer is OwnerMismatch, or, with the
   * `sessionOwnerMismatch: 'clean-start'` option, the old session is discarded and a new one made (a session of
   * unknown owner is always discarded). An implementation
   * may answer with a promise; the connect handler then holds the connection's next packets until it settles,
   * and such an implementation must not leave a session attached to a link that closed while it waited.
   */
  open(link: SessionLink, request: SessionRequest): OpenResult | Promise<OpenResult>
  /**
   * The connection of `link` ended, however it ended; `session` is the one it was bound to. `sendWill` is false
   * after a normal DISCONNECT (and on shutdown). A session that outlives its connection waits for its expiry.
   */
  connectionClosed(session: Session, link: SessionLink, sendWill: boolean): void
  /**
   * Brings back the sessions the store kept, offline since their `disconnectedAt` (or `now`). A registry that must
   * first learn which of them are its own (a cluster node) answers with a promise.
   */
  restore(stored: readonly StoredSession[], now: number): void | Promise<void>
  /** The sessions held here, for the admin API; absent where a registry cannot list them. */
  list?(): Iterable<Session>
  /**
   * Ends the session of `clientId` at an administrator's request: its connection, if any, is ended first (0x98
   * Administrative action; the will goes out as for any connection the server ends). False when there is none.
   */
  discard?(clientId: string): boolean
}

/** The sessions of a registry that can list them (see SessionRegistry.list). */
export interface SessionDirectory {
  list(): Iterable<Session>
  discard(clientId: string): boolean
}
