import type { InflightRecord } from '../store/store.js'

/**
 * Outgoing QoS 1/2 messages awaiting their acknowledgement, by packet id, in the order sent
 * (a Map keeps insertion order, which is the redelivery order on resume [MQTT-4.4.0-1]).
 */
export class Inflight {
  /** Made on first use: an idle session pays no table. */
  private records: Map<number, InflightRecord> | undefined
  private lastId = 0

  get size(): number {
    return this.records?.size ?? 0
  }

  /** A packet id not in use by any in-flight message [MQTT-2.2.1-4]. */
  allocateId(): number {
    let id = this.lastId
    do {
      id = id === 0xffff ? 1 : id + 1
    } while (this.records?.has(id) === true)
    this.lastId = id
    return id
  }

  get(packetId: number): InflightRecord | undefined {
    return this.records?.get(packetId)
  }

  set(record: InflightRecord): void {
    this.records ??= new Map()
    this.records.set(record.packetId, record)
  }

  delete(packetId: number): boolean {
    return this.records?.delete(packetId) ?? false
  }

  values(): InflightRecord[] {
    return this.records === undefined ? [] : [...this.records.values()]
  }

  clear(): void {
    this.records = undefined
  }
}
