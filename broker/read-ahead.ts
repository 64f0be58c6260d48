/**
 * Bytes of packets a held connection may read before it stops reading: a few windows of small PUBLISHes, enough to
 * reach the PINGREQ a waiting client sends behind them, and little next to what a held client could otherwise push
 * into the broker's memory (its socket's receive buffer stays in the kernel).
 */
const READ_AHEAD_LIMIT = 64 * 1024

/**
 * The packets a connection read while a handler held it (waiting for the store, or for a subscriber to drain: see
 * connection.ts), in order, to be handled once it is released. A client that is held keeps being read until this
 * much waits, so that its PINGREQs can be answered meanwhile; past it the connection stops reading and TCP slows
 * the client down.
 */
export class ReadAhead {
  private readonly packets: Buffer[] = []
  private head = 0
  private bytes = 0

  get isFull(): boolean {
    return this.bytes >= READ_AHEAD_LIMIT
  }

  push(packet: Buffer): void {
    this.packets.push(packet)
    this.bytes += packet.length
  }

  /** The oldest packet waiting, or undefined when none is. */
  shift(): Buffer | undefined {
    if (this.head === this.packets.length) return undefined
    const packet = this.packets[this.head++]
    this.bytes -= packet.length
    if (this.head === this.packets.length) {
      this.packets.length = 0
      this.head = 0
    }
    return packet
  }
}
