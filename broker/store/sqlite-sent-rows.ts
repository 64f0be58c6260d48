/**
 * The QoS 1 deliveries in flight that the SQLite store keeps as their queue rows (format 4): a row sent with a
 * packet id stays in the queue log, marked with that id, until its PUBACK, instead of the delivery moving into the
 * in-flight table (an upsert there and a delete at PUBACK, each with its index and its message reference, for
 * every message). The PUBACK then only moves the queue's head, once per session per commit.
 *
 * A head says every row up to it is done, so it may not pass a row still in flight: a row done while an older one
 * is in flight (a QoS 0 row taken after it, a PUBACK out of order) is deleted alone instead. Invariants per session:
 * `inFlight` ascending; `first` and `last` bound every row written for the session through here, so deleting the
 * session covers the rows sent outside its queue (see SqliteStore.deleteSession).
 */
interface SessionRows {
  /** Packet id → seq of the rows in flight. */
  readonly byPacketId: Map<number, number>
  readonly inFlight: number[]
  first: number
  last: number
}

export class SentRows {
  private readonly sessions = new Map<string, SessionRows>()

  /** The row `seq` of the session went out as `packetId`, or was in flight when the store opened. */
  sent(clientId: string, packetId: number, seq: number): void {
    const rows = this.rowsOf(clientId, seq)
    if (rows.byPacketId.get(packetId) === seq) return // read again by a later open
    rows.byPacketId.set(packetId, seq)
    const inFlight = rows.inFlight
    let at = inFlight.length
    while (at > 0 && inFlight[at - 1] > seq) at--
    // Rows go out in seq order: appending is the common case, and push (unlike splice) allocates nothing.
    if (at === inFlight.length) inFlight.push(seq)
    else inFlight.splice(at, 0, seq)
    if (seq > rows.last) rows.last = seq
  }

  /**
   * Whether a row of the session older than `seq` is in flight: then the head may not move to `seq`, and a row done
   * there is deleted alone.
   */
  olderInFlight(clientId: string, seq: number): boolean {
    const inFlight = this.sessions.get(clientId)?.inFlight
    return inFlight !== undefined && inFlight.length > 0 && inFlight[0] < seq
  }

  /** PUBACK of `packetId`: the seq of its row, now done; undefined when the packet id is not in flight as a queue row. */
  acknowledged(clientId: string, packetId: number): number | undefined {
    const rows = this.sessions.get(clientId)
    const seq = rows?.byPacketId.get(packetId)
    if (rows === undefined || seq === undefined) return undefined
    rows.byPacketId.delete(packetId)
    // PUBACKs come in the order sent [MQTT-4.6.0-2]: the oldest row is the common case.
    if (rows.inFlight[0] === seq) rows.inFlight.shift()
    else rows.inFlight.splice(rows.inFlight.indexOf(seq), 1)
    return seq
  }

  /** The range of seqs of every row written for the session through here; undefined when none was. */
  range(clientId: string): [number, number] | undefined {
    const rows = this.sessions.get(clientId)
    return rows === undefined ? undefined : [rows.first, rows.last]
  }

  /** The session is deleted: its rows go with it. */
  forget(clientId: string): void {
    this.sessions.delete(clientId)
  }

  private rowsOf(clientId: string, seq: number): SessionRows {
    let rows = this.sessions.get(clientId)
    if (rows === undefined) {
      rows = { byPacketId: new Map(), inFlight: [], first: seq, last: seq }
      this.sessions.set(clientId, rows)
    }
    if (seq < rows.first) rows.first = seq
    return rows
  }
}
