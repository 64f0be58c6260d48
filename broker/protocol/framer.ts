import { malformed, ProtocolError } from './protocol-error.js'
import { Reason } from './reason-codes.js'

/**
 * Cuts a byte stream into whole MQTT packets by their fixed header, before any parsing, so that
 *  - an oversized packet is refused from its header, without buffering it (our Maximum Packet Size, spec 3.2.2.3.6: 0x95);
 *  - each packet is handed on as one Buffer (a view into the socket chunk, not a copy), which lets
 *    the broker forward a PUBLISH's own bytes.
 * Usage: `feed(chunk)`, then `next()` until it returns undefined.
 */
export class PacketFramer {
  /**
   * The framer released by the last connection that finished its packets. Connections hold a framer only while
   * a packet is incomplete or waits for its handler, so an idle one holds none, and a busy broker reuses this
   * one instead of allocating one per chunk.
   */
  private static spare: PacketFramer | undefined

  /** A framer with nothing in it: the spare one, or a new one. */
  static take(maxPacketSize: number): PacketFramer {
    const framer = PacketFramer.spare ?? new PacketFramer(maxPacketSize)
    PacketFramer.spare = undefined
    framer.maxPacketSize = maxPacketSize
    return framer
  }

  /** Hands back a framer that `isEmpty`, for the next `take`. */
  static release(framer: PacketFramer): void {
    PacketFramer.spare = framer
  }

  private buffer: Buffer = EMPTY
  private offset = 0
  /** Chunks of a packet that is still incomplete, and their total size. */
  private held: Buffer[] = []
  private heldBytes = 0
  private wanted = 0

  constructor(private maxPacketSize: number) {}

  /** Nothing held: the framer can be given to another connection (see connection.ts `takeFramer`). */
  get isEmpty(): boolean {
    return this.heldBytes === 0 && this.offset === this.buffer.length
  }

  feed(chunk: Buffer): void {
    if (this.held.length > 0) {
      this.hold(chunk)
      if (this.heldBytes < this.wanted) return
      this.buffer = Buffer.concat(this.held, this.heldBytes)
      this.held = []
      this.heldBytes = 0
    } else if (this.offset < this.buffer.length) {
      this.buffer = Buffer.concat([this.buffer.subarray(this.offset), chunk])
    } else {
      this.buffer = chunk
    }
    this.offset = 0
  }

  /** The next whole packet, or undefined when more bytes are needed. Throws on a bad fixed header. */
  next(): Buffer | undefined {
    if (this.held.length > 0) return undefined
    const buffer = this.buffer
    const start = this.offset
    const available = buffer.length - start
    if (available === 0) {
      this.buffer = EMPTY // do not pin the last socket chunk while the connection idles
      this.offset = 0
      return undefined
    }
    if (available < 2) return this.waitFor(2)
    let length = 0
    let multiplier = 1
    let pos = start + 1
    for (;;) {
      if (pos >= buffer.length) return this.waitFor(pos - start + 1)
      const byte = buffer[pos++]
      length += (byte & 0x7f) * multiplier
      if ((byte & 0x80) === 0) break
      multiplier *= 128
      if (pos - start > 4) throw malformed('remaining length longer than 4 bytes') // [MQTT-2.2.3]
    }
    const total = pos - start + length
    if (total > this.maxPacketSize) {
      throw new ProtocolError(Reason.PacketTooLarge, `packet of ${total} bytes exceeds the maximum of ${this.maxPacketSize}`)
    }
    if (available < total) return this.waitFor(total)
    this.offset = start + total
    return buffer.subarray(start, start + total)
  }

  /** Keeps the unread tail until `bytes` bytes of the current packet are there. */
  private waitFor(bytes: number): undefined {
    this.wanted = bytes
    if (this.offset < this.buffer.length) this.hold(this.buffer.subarray(this.offset))
    this.buffer = EMPTY
    this.offset = 0
    return undefined
  }

  private hold(chunk: Buffer): void {
    this.held.push(chunk)
    this.heldBytes += chunk.length
  }
}

const EMPTY = Buffer.alloc(0)
