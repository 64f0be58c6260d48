import type { Message } from '../message.js'

/**
 * Longer than a recovery's drain and the time other nodes go on appending to the dead member (entries then redirected
 * here: node-stream.ts) before they hear of its death, with room for a loaded machine.
 */
const WINDOW_MS = 20_000

/** How one message reached this node during the window. */
interface Seen {
  /** Its place in the live order, once it was routed live here. */
  liveAt?: number
  /** The adopted sessions a drain gave it to. */
  drainedTo?: Set<string>
}

/**
 * What a recovering node must not deliver twice (issue 16). Once it has adopted a dead node's session, messages for
 * that session reach it live (routed here, or forwarded by nodes that heard of its filters), while the same messages
 * can still be appended to the dead node's stream by nodes (this one included) that have not yet dropped the dead
 * node's filters; the drain, or the redirect of what comes after it, delivers those too, before or after the live copy, and a QoS 2 message would arrive
 * twice. So for a while after an adoption this node notes each message it routes live and each it drains (by
 * publisher, id and arrival time, which travel with a forwarded message): the drain gives a message to an adopted
 * session only if it was not routed live here after the adoption, and the live path skips sessions a drain gave it to.
 */
export class RecoveryOverlap {
  private sequence = 0
  private readonly seen = new Map<string, Seen>()
  /** Client id -> the place in the live order when its session was adopted. */
  private readonly adoptedAt = new Map<string, number>()
  private until = 0

  adopted(clientId: string): void {
    this.adoptedAt.set(clientId, this.sequence)
    this.until = Date.now() + WINDOW_MS
  }

  /** A message routed live to this node's sessions; answers the sessions a drain already gave it to. */
  routedLive(message: Message): ReadonlySet<string> | undefined {
    const seen = this.note(message)
    if (seen === undefined) return undefined
    seen.liveAt ??= ++this.sequence
    return seen.drainedTo
  }

  /** Which of `clients` (adopted sessions) still need `message` from a dead node's stream; those are noted as given. */
  drained(message: Message, clients: ReadonlySet<string>): ReadonlySet<string> {
    const seen = this.note(message)
    if (seen === undefined) return clients
    const needing = new Set<string>()
    for (const clientId of clients) {
      const adoptedAt = this.adoptedAt.get(clientId)
      const hadItLive = seen.liveAt !== undefined && adoptedAt !== undefined && seen.liveAt > adoptedAt
      if (!hadItLive && seen.drainedTo?.has(clientId) !== true) needing.add(clientId)
    }
    seen.drainedTo ??= new Set()
    for (const clientId of needing) seen.drainedTo.add(clientId)
    return needing
  }

  /** The message's record while the window is open; past it, everything is forgotten. */
  private note(message: Message): Seen | undefined {
    if (this.until === 0) return undefined
    if (Date.now() > this.until) {
      this.until = 0
      this.seen.clear()
      this.adoptedAt.clear()
      return undefined
    }
    const key = `${message.origin}\n${message.id}\n${message.receivedAt}`
    let seen = this.seen.get(key)
    if (seen === undefined) {
      seen = {}
      this.seen.set(key, seen)
    }
    return seen
  }
}
