import type { Packet } from 'mqtt-packet'
import type { Logger } from 'pino'
import { encodeAcks } from './protocol/codec.js'
import { Reason } from './protocol/reason-codes.js'
import { StoreError } from './store/store.js'

/** Replies that tell the client the broker has recorded something: each waits for the commit that holds it. */
export type DurableReply = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'

/** The connection the replies go out on (connection.ts), as far as PendingAcks uses it. */
export interface AckChannel {
  readonly clientId: string
  readonly protocolVersion: 3 | 4 | 5
  /** Its session: a refused PUBREC forgets its inbound QoS 2 id, in the store too. */
  readonly session: { releasedQos2(packetId: number): boolean } | undefined
  sendAcks(acks: Buffer, count: number): void
  send(packet: Packet): void
  close(): void
}

interface PendingAck {
  cmd: DurableReply
  packetId: number
  commit: Promise<void>
}

/**
 * Replies held until the store commit that holds what they confirm is on disk, released in order:
 * PUBACK / PUBREC once the message is stored, PUBREL once our copy of a QoS 2 message is marked
 * received (the client forgets the packet id when it gets PUBREL, so a redelivery after a crash
 * would be new to it), PUBCOMP once the inbound id is forgotten (else a reused id would be taken
 * for a duplicate after a crash). Commits finish in order, so the head of the list always belongs to
 * the oldest commit still outstanding; one callback per commit (not per message) releases them.
 */
export class PendingAcks {
  private readonly entries: PendingAck[] = []
  private head = 0
  private lastCommit: Promise<void> | undefined
  /** The store's `caughtUp` that replies at the head wait for while its server is away. */
  private parkedOn: Promise<void> | undefined

  constructor(
    private readonly connection: AckChannel,
    private readonly logger: Logger
  ) {}

  /** QoS 1 PUBLISHes still unacknowledged (QoS 2 ones are counted by the session's inbound ids). */
  pubacks = 0

  add(cmd: DurableReply, packetId: number, commit: Promise<void>): void {
    this.entries.push({ cmd, packetId, commit })
    if (cmd === 'puback') this.pubacks++
    if (commit === this.lastCommit) return
    this.lastCommit = commit
    commit.then(
      () => this.release(commit),
      (error: unknown) => this.refuse(commit, error)
    )
  }

  /** Settles once the oldest reply held now has gone out (or been refused): there is room for more. */
  whenOldestReleased(): Promise<void> {
    const oldest = this.entries[this.head]
    return oldest === undefined
      ? Promise.resolve()
      : oldest.commit.then(
          () => {},
          () => {}
        )
  }

  /** The replies of a commit go out in one Buffer: a QoS 1 publisher's window of PUBACKs is one write, not a Buffer each. */
  private release(commit: Promise<void>): void {
    const taken = this.take(commit)
    if (taken.length > 0) this.connection.sendAcks(encodeAcks(taken), taken.length)
  }

  /**
   * The commit failed (a full disk): nothing in it may be confirmed. 5.0 clients get Quota exceeded
   * for their PUBLISHes; otherwise (3.x has no negative acknowledgement, and PUBREL / PUBCOMP have
   * no refusal) the connection closes and the client resends on reconnect [MQTT-4.4.0-1]. When the
   * store keeps the changes until its server is back (`caughtUp`), those replies wait for that instead,
   * and the connection stays: a 3.x client is read no further once Receive Maximum of them wait.
   */
  private refuse(commit: Promise<void>, error: unknown): void {
    const connection = this.connection
    const behindParked = this.entries[this.head]?.commit === this.parkedOn
    const refusable =
      connection.protocolVersion === 5 &&
      !behindParked &&
      !this.held(commit).some((entry) => entry.cmd === 'pubrel' || entry.cmd === 'pubcomp')
    if (!refusable && error instanceof StoreError && error.caughtUp !== undefined) {
      this.park(commit, error.caughtUp)
      return
    }
    const refused = this.take(commit)
    this.logger.warn({ err: error, clientId: connection.clientId, refused: refused.length }, 'store commit failed: refusing what it held')
    for (const entry of refused) {
      if (entry.cmd === 'pubrec') connection.session?.releasedQos2(entry.packetId)
    }
    if (!refusable) {
      connection.close()
      return
    }
    for (const entry of refused) connection.send({ cmd: entry.cmd, messageId: entry.packetId, reasonCode: Reason.QuotaExceeded })
  }

  /**
   * The replies of `commit` wait for the store to catch up instead: they become replies of `caughtUp`, behind those
   * already waiting for it (one outage, one `caughtUp`), and go out in order when it resolves.
   */
  private park(commit: Promise<void>, caughtUp: Promise<void>): void {
    for (let i = this.head; i < this.entries.length; i++) if (this.entries[i].commit === commit) this.entries[i].commit = caughtUp
    if (this.lastCommit === commit) this.lastCommit = caughtUp
    if (this.parkedOn === caughtUp) return
    this.parkedOn = caughtUp
    caughtUp.then(
      () => this.release(caughtUp),
      (failure: unknown) => this.refuse(caughtUp, failure)
    )
  }

  /** The replies at the head for `commit`. */
  private held(commit: Promise<void>): PendingAck[] {
    let end = this.head
    while (end < this.entries.length && this.entries[end].commit === commit) end++
    return this.entries.slice(this.head, end)
  }

  private take(commit: Promise<void>): PendingAck[] {
    // A settled commit can be handed out again (a store with nothing pending returns its last one):
    // the next add must then attach a callback of its own.
    if (this.lastCommit === commit) this.lastCommit = undefined
    const taken = this.held(commit)
    for (const entry of taken) if (entry.cmd === 'puback') this.pubacks--
    this.head += taken.length
    if (this.head === this.entries.length) {
      this.entries.length = 0
      this.head = 0
    }
    return taken
  }
}
