/** MQTT 3.1.1 everywhere: the bench compares brokers on the protocol all three speak the same way. */
export const PROTOCOL_VERSION = 4

/**
 * One connection's packet ids, 1..65535 in turn. Fine while fewer than 65535 PUBLISHes are
 * unacknowledged, which the publishers' windows guarantee.
 */
export class PacketIdSequence {
  private next = 1

  take(): number {
    const id = this.next
    this.next = id === 0xffff ? 1 : id + 1
    return id
  }
}
