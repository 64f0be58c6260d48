import type { Message } from '../message.js'
import { messageIdentity } from './forwarded-codec.js'

/**
 * Longer than a recovery's drain, the time other nodes go on appending to the dead member (entries then redirected
 * here: node-stream.ts) before they hear of its death, and a session's relay (session-relay.ts), with room for a loaded
 * machine.
 */
export const OVERLAP_WINDOW_MS = 20_000

/** How one message reached this node during the window. */
interface Seen {
  /** Its place in the live order, once it was routed live here. */
  liveAt?: number
  /** The sessions a copy from a stream or a relay was given to, or that had it already (`had`). */
  drainedTo?: Set<string>
}

/**
 * What a node must not deliver twice to a session that just came to it (issue 16). Once it has adopted a dead node's
 * session, messages for that session reach it live (routed here, or forwarded by nodes that heard of its filters),
 * while the same messages can still be appended to the dead node's stream by nodes (this one included) that have
 * not yet dropped the dead node's filters; the drain, or the redirect of what comes after it, delivers those too,
 * before or after the live copy. Likewise a session taken over from a live node: that node relays every message
 * matching the session's filters for a while (session-relay.ts), and the same messages can reach it live here. A
 * QoS 2 message would arrive twice. So for a while after a session arrives this node notes each message it routes
 * live and each it gives a session from a stream or a relay, by identity (forwarded-codec.ts `messageIdentity`): such
 * a copy goes to a session only if the message was not routed live here after the session arrived, and the live path
 * skips sessions a copy was given to. What a session had before it came (recorded with it in the store:
 * store/delivery-sources.ts) counts as given.
 */
export class RecoveryOverlap {
  private sequence = 0
  /**
   * Messages noted in this window and in the one before (a message is looked up in both, and noted in this one): the
   * notes go window by window, so a node where sessions keep arriving does not keep every message it routed.
   */
  private seen = new Map<string, Seen>()
  private older = new Map<string, Seen>()
  private windowEnds = 0
  /** Client id -> when its session arrived, and the place in the live order then. */
  private readonly arrivedAt = new Map<string, { at: number; sequence: number }>()
  /** Nothing is noted past this time: no session arrived within a window of it. */
  private until = 0

  /** The session came here: adopted from a dead node, or taken over from a live one that relays to it meanwhile. */
  arrived(clientId: string): void {
    this.open()
    this.arrivedAt.set(clientId, { at: Date.now(), sequence: this.sequence })
  }

  /** Whether the session came here within the window: its deliveries' identities are recorded with it. */
  recording(clientId: string): boolean {
    const arrived = this.arrivedAt.get(clientId)
    return arrived !== undefined && Date.now() - arrived.at <= OVERLAP_WINDOW_MS
  }

  /**
   * The message's identity (forwarded-codec.ts `messageIdentity`) while a session came here within the window, else
   * undefined: the per-message bookkeeping costs nothing then. The notes below are asked only with such an identity.
   */
  identityOf(publisher: string, message: Pick<Message, 'id'>): string | undefined {
    return this.isOpen() ? messageIdentity(publisher, message) : undefined
  }

  /**
   * `identityOf` for a message routed live to `reached`, the sessions its topic matches here: undefined unless one of
   * them came within the window. A busy node where sessions keep arriving notes only the messages those get, not
   * every message it routes.
   */
  liveIdentityOf(
    publisher: string,
    message: Pick<Message, 'id'>,
    reached: readonly { readonly session: { readonly clientId: string } }[]
  ): string | undefined {
    for (const { session } of reached) if (this.recording(session.clientId)) return this.identityOf(publisher, message)
    return undefined
  }

  /** Whether any session came here within the window. */
  isOpen(): boolean {
    if (this.until === 0) return false
    const now = Date.now()
    if (now > this.until) {
      this.until = 0
      this.windowEnds = 0
      this.seen = new Map()
      this.older = new Map()
      this.arrivedAt.clear()
      return false
    }
    if (now > this.windowEnds) this.nextWindow(now)
    return true
  }

  /** What the session already had when it came (the identities recorded with it): no copy of those goes to it. */
  had(clientId: string, identities: Iterable<string>): void {
    this.open()
    for (const identity of identities) {
      const seen = this.note(identity)
      seen.drainedTo ??= new Set()
      seen.drainedTo.add(clientId)
    }
  }

  /** A message routed live to this node's sessions; answers the sessions a copy was already given to. */
  routedLive(identity: string): ReadonlySet<string> | undefined {
    const seen = this.note(identity)
    seen.liveAt ??= ++this.sequence
    return seen.drainedTo
  }

  /** Which of `clients` still need a copy of a message from a stream or a relay; those are noted as given. */
  drained(identity: string, clients: ReadonlySet<string>): ReadonlySet<string> {
    const seen = this.note(identity)
    this.keepOpen(clients)
    const needing = new Set<string>()
    for (const clientId of clients) {
      const arrived = this.arrivedAt.get(clientId)
      const hadItLive = seen.liveAt !== undefined && arrived !== undefined && seen.liveAt > arrived.sequence
      if (!hadItLive && seen.drainedTo?.has(clientId) !== true) needing.add(clientId)
    }
    seen.drainedTo ??= new Set()
    for (const clientId of needing) seen.drainedTo.add(clientId)
    return needing
  }

  /**
   * A copy came from a stream or a relay: its twin can still come, as late as this one did (a node whose stream
   * reader is held back by a slow subscriber reads both late), so the window and the sessions' arrivals count from now.
   */
  private keepOpen(clients: ReadonlySet<string>): void {
    const now = Date.now()
    this.until = Math.max(this.until, now + OVERLAP_WINDOW_MS)
    for (const clientId of clients) {
      const arrived = this.arrivedAt.get(clientId)
      if (arrived !== undefined) arrived.at = now
    }
  }

  private open(): void {
    this.isOpen()
    const now = Date.now()
    this.until = now + OVERLAP_WINDOW_MS
    if (this.windowEnds === 0) this.windowEnds = now + OVERLAP_WINDOW_MS
  }

  /** The notes of the window before last go, and so do sessions that arrived before it. */
  private nextWindow(now: number): void {
    this.older = this.seen
    this.seen = new Map()
    this.windowEnds = now + OVERLAP_WINDOW_MS
    for (const [clientId, arrived] of this.arrivedAt) if (now - arrived.at > OVERLAP_WINDOW_MS) this.arrivedAt.delete(clientId)
  }

  /** The message's record, made if it has none (the window is open: `identityOf`, `open`). */
  private note(identity: string): Seen {
    let seen = this.seen.get(identity)
    if (seen === undefined) {
      seen = this.older.get(identity) ?? {}
      this.seen.set(identity, seen)
    }
    return seen
  }
}
