import type { WrittenCommand } from './redis-batch.js'

/** The write of a new in-flight record (its HSET), in the batch `batch` (its serial). */
export interface UnsentRecord {
  readonly batch: number
  readonly command: WrittenCommand
}

/**
 * The in-flight records sent for the first time (state `publish`) in the batch being filled, per session and packet
 * id. When the client acknowledges one before that batch goes, deleteInflight takes the record's write back instead
 * of adding its HDEL: Redis applies the batch as one step and would end without the record either way. A
 * packet id is only handed out again once its record is deleted, so the record's HSET created the field rather than
 * overwriting an older one. A record moved to `pubrel` leaves: its first HSET may be in Redis already.
 *
 * Only the latest batch's records are kept (a record of an older batch can no longer be taken back), so this holds
 * at most one batch's worth.
 */
export class UnsentInflight {
  private batch = 0
  private readonly bySession = new Map<string, Map<number, UnsentRecord>>()

  /** A new record's `command` went into the batch `batch`. */
  wrote(clientId: string, packetId: number, batch: number, command: WrittenCommand): void {
    if (batch !== this.batch) {
      this.bySession.clear()
      this.batch = batch
    }
    let records = this.bySession.get(clientId)
    if (records === undefined) {
      records = new Map()
      this.bySession.set(clientId, records)
    }
    records.set(packetId, { batch, command })
  }

  /** The record's writes, if they went into the latest batch; it is forgotten here either way. */
  take(clientId: string, packetId: number): UnsentRecord | undefined {
    const records = this.bySession.get(clientId)
    const record = records?.get(packetId)
    if (record !== undefined) this.forget(clientId, packetId)
    return record
  }

  /** The record (or every record of the session) is no longer new: its deletion must be written. */
  forget(clientId: string, packetId?: number): void {
    const records = this.bySession.get(clientId)
    if (records === undefined) return
    if (packetId !== undefined) records.delete(packetId)
    if (packetId === undefined || records.size === 0) this.bySession.delete(clientId)
  }
}
