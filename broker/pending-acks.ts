import type { Connection } from './connection.js'
import { Reason } from './protocol/reason-codes.js'

interface PendingAck {
  cmd: 'puback' | 'pubrec'
  packetId: number
  commit: Promise<void>
}

/**
 * PUBACKs and PUBRECs held until the store commit that holds their message is on disk, released in
 * the order the PUBLISHes came. Commits finish in order, so the head of the list always belongs to
 * the oldest commit still outstanding; one callback per commit (not per message) releases them.
 */
export class PendingAcks {
  private readonly entries: PendingAck[] = []
  private head = 0
  private lastCommit: Promise<void> | undefined

  constructor (private readonly connection: Connection) {}

  /** QoS 1 PUBLISHes still unacknowledged (QoS 2 ones are counted by the session's inbound ids). */
  pubacks = 0

  add (cmd: PendingAck['cmd'], packetId: number, commit: Promise<void>): void {
    this.entries.push({ cmd, packetId, commit })
    if (cmd === 'puback') this.pubacks++
    if (commit === this.lastCommit) return
    this.lastCommit = commit
    commit.then(() => this.release(commit), () => this.refuse(commit))
  }

  private release (commit: Promise<void>): void {
    for (const entry of this.take(commit)) this.connection.send({ cmd: entry.cmd, messageId: entry.packetId })
  }

  /**
   * The commit failed (a full disk): nothing in it may be acknowledged. 5.0 clients get Quota
   * exceeded; 3.x has no negative acknowledgement, so the connection closes and the client resends
   * later [MQTT-4.4.0-1].
   */
  private refuse (commit: Promise<void>): void {
    const refused = this.take(commit)
    const connection = this.connection
    for (const entry of refused) {
      if (entry.cmd === 'pubrec') connection.session?.incomingQos2.delete(entry.packetId)
    }
    if (connection.protocolVersion !== 5) {
      connection.close()
      return
    }
    for (const entry of refused) connection.send({ cmd: entry.cmd, messageId: entry.packetId, reasonCode: Reason.QuotaExceeded })
  }

  private take (commit: Promise<void>): PendingAck[] {
    let end = this.head
    while (end < this.entries.length && this.entries[end].commit === commit) end++
    const taken = this.entries.slice(this.head, end)
    for (const entry of taken) if (entry.cmd === 'puback') this.pubacks--
    this.head = end
    if (this.head === this.entries.length) {
      this.entries.length = 0
      this.head = 0
    }
    return taken
  }
}
