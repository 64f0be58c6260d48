import type { BrokerOptions } from '../options.js'
import { Reason } from '../protocol/reason-codes.js'
import type { Publisher } from '../publisher.js'
import type { BrokerStats } from '../stats.js'
import type { SessionOwner, Store, StoredSession } from '../store/store.js'
import type { PublishBackPressure } from './publish-back-pressure.js'
import { Session, type SessionContext } from './session.js'
import type { SessionLink } from './session-link.js'
import { isOwnedBy } from './session-owner.js'
import type { OpenResult, SessionRegistry, SessionRequest } from './session-registry.js'
import type { SessionSubscriptions } from './session-subscriptions.js'
import type { Will } from './will.js'

/** What the registry is built from. */
/** The owner of every session an anonymous client made: one object for all of them (a fleet's devices, often). */
const ANONYMOUS: SessionOwner = Object.freeze({ username: undefined })

export interface LocalSessionParts {
  readonly options: Readonly<BrokerOptions>
  readonly stats: BrokerStats
  readonly store: Store
  readonly backPressure: PublishBackPressure
  readonly subscriptions: Pick<SessionSubscriptions, 'removeAll' | 'restore'>
  readonly wills: Pick<Publisher, 'publishWill'>
  /** Told when a session ends (expired, discarded, or ended with its connection). */
  readonly ended?: (session: Session) => void
}

/**
 * The sessions of this process, by client id. Invariant: a session attached to a connection is the one
 * registered for its client id (a takeover detaches the old connection before anything else happens).
 */
export class LocalSessionRegistry implements SessionRegistry, SessionContext {
  readonly options: Readonly<BrokerOptions>
  readonly stats: BrokerStats
  readonly store: Store
  readonly backPressure: PublishBackPressure
  private readonly subscriptions: LocalSessionParts['subscriptions']
  private readonly wills: LocalSessionParts['wills']
  private readonly ended: LocalSessionParts['ended']
  private readonly sessions = new Map<string, Session>()

  constructor(parts: LocalSessionParts) {
    this.options = parts.options
    this.stats = parts.stats
    this.store = parts.store
    this.backPressure = parts.backPressure
    this.subscriptions = parts.subscriptions
    this.wills = parts.wills
    this.ended = parts.ended
  }

  get count(): number {
    return this.sessions.size
  }

  open(link: SessionLink, request: SessionRequest): OpenResult {
    const { clientId, username } = request
    let session = this.sessions.get(clientId)
    const foreign = session !== undefined && !isOwnedBy(session.owner, username)
    if (foreign && session!.owner !== 'unknown' && this.options.sessionOwnerMismatch === 'refuse') {
      return { refused: 'owner-mismatch', owner: session!.owner }
    }
    session?.link?.disconnect(Reason.SessionTakenOver, 'another connection took over the session')
    session = this.sessions.get(clientId) // the takeover may have ended it
    let present = false
    if (session !== undefined && (request.cleanStart || foreign)) {
      this.remove(session)
      session = undefined
    }
    if (session === undefined) {
      session = new Session(clientId, link.protocolVersion, username === undefined ? ANONYMOUS : { username }, this)
      this.sessions.set(clientId, session)
    } else {
      present = true
    }
    session.setExpiry(request.expiry)
    session.queueLimits = request.queueLimits
    session.username = username
    session.attach(link, request.will)
    return { session, present }
  }

  connectionClosed(session: Session, link: SessionLink, sendWill: boolean): void {
    if (session.link !== link) return
    if (session.detach(sendWill)) this.remove(session)
  }

  restore(stored: readonly StoredSession[], now: number): void {
    for (const { record, subscriptions, inflight, incomingQos2 } of stored) {
      if (record.expiryInterval === 0) {
        // Resumed with expiry 0, it was to end with its connection, and the restart ended that.
        this.store.deleteSession(record.clientId)
        continue
      }
      const session = new Session(record.clientId, record.protocolVersion, record.owner, this)
      this.sessions.set(record.clientId, session)
      session.setExpiry(record.expiryInterval)
      this.subscriptions.restore(session, subscriptions)
      for (const entry of inflight) session.inflight.set(entry)
      for (const packetId of incomingQos2) session.restoreQos2(packetId)
      const offlineSince = record.disconnectedAt ?? now
      session.waitOffline((now - offlineSince) / 1000)
    }
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId)
  }

  list(): Iterable<Session> {
    return this.sessions.values()
  }

  discard(clientId: string): boolean {
    const held = this.sessions.has(clientId)
    this.sessions.get(clientId)?.link?.disconnect(Reason.AdministrativeAction, 'session deleted by an administrator')
    const session = this.sessions.get(clientId) // ending the connection may have ended it
    if (session !== undefined) this.remove(session)
    return held
  }

  /**
   * Gives the session of `clientId` up without ending it, for another holder to take on (a node of a cluster):
   * its connection, if any, is ended first [MQTT-3.1.4-3]; its state stays in the store.
   */
  letGo(clientId: string, reason: string): void {
    this.sessions.get(clientId)?.link?.disconnect(Reason.SessionTakenOver, reason)
    const session = this.sessions.get(clientId) // the takeover may have ended it
    if (session === undefined) return
    this.subscriptions.removeAll(session)
    this.sessions.delete(clientId)
    session.letGo()
  }

  // SessionContext

  publishWill(session: Session, will: Will): void {
    this.wills.publishWill(will, session.clientId, session.username)
  }

  expire(session: Session): void {
    if (this.sessions.get(session.clientId) !== session || session.isConnected) return
    this.stats.sessionsExpired++
    this.remove(session)
  }

  private remove(session: Session): void {
    this.subscriptions.removeAll(session)
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
    session.end()
    this.ended?.(session)
  }
}
