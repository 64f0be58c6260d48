import type { InflightRecord } from './store.js'

/**
 * Each in-flight record's place in its session's sending order, which the record carries (format 3): a new record
 * takes the next place, a record moved to pubrel keeps its own, so a restored session resends in the order the
 * messages were first sent [MQTT-4.6.0-1]. Places only grow, also from node to node: a store goes on after the
 * highest place it has read.
 */
export class InflightOrder {
  private last = 0
  private readonly bySession = new Map<string, Map<number, number>>()

  /** The place `record` is written with. */
  placeOf(clientId: string, record: InflightRecord): number {
    let places = this.bySession.get(clientId)
    if (places === undefined) {
      places = new Map()
      this.bySession.set(clientId, places)
    }
    const kept = record.state === 'pubrel' ? places.get(record.packetId) : undefined
    if (kept !== undefined) return kept
    const place = ++this.last
    places.set(record.packetId, place)
    return place
  }

  deleted(clientId: string, packetId: number): void {
    const places = this.bySession.get(clientId)
    places?.delete(packetId)
    if (places?.size === 0) this.bySession.delete(clientId)
  }

  /** A session's records as read from Redis, and the highest place read with them. */
  read(clientId: string, places: Map<number, number>, last: number): void {
    if (places.size > 0) this.bySession.set(clientId, places)
    else this.bySession.delete(clientId)
    if (last > this.last) this.last = last
  }

  forget(clientId: string): void {
    this.bySession.delete(clientId)
  }
}
