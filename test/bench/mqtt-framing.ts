/** Called once per complete MQTT packet; the packet's body is `buffer[start, end)`. */
export type PacketHandler = (type: number, flags: number, buffer: Buffer, start: number, end: number) => void

/**
 * Splits a byte stream into MQTT packets (fixed header + remaining length) without decoding them.
 * The generator only needs a packet's type and a few bytes of its body, and a full mqtt-packet
 * parser per subscriber would cost more of the generator's core than the broker under test uses.
 */
export class PacketFramer {
  private rest: Buffer | null = null
  /** Remaining length of the packet whose header `bodyStart` decoded last. */
  private remaining = 0

  constructor(private readonly onPacket: PacketHandler) {}

  /** Handles every complete packet in `chunk`, keeping a trailing partial one for the next call. */
  push(chunk: Buffer): void {
    const buffer = this.rest === null ? chunk : Buffer.concat([this.rest, chunk])
    let offset = 0
    for (;;) {
      const bodyStart = this.bodyStart(buffer, offset)
      if (bodyStart < 0) break
      const end = bodyStart + this.remaining
      if (end > buffer.length) break
      this.onPacket(buffer[offset] >> 4, buffer[offset] & 0x0f, buffer, bodyStart, end)
      offset = end
    }
    // A copy: `chunk` may be a read buffer that is reused for the next read.
    this.rest = offset < buffer.length ? Buffer.from(buffer.subarray(offset)) : null
  }

  /** Decodes the remaining length at `offset` into `this.remaining`; −1 while the header is incomplete. */
  private bodyStart(buffer: Buffer, offset: number): number {
    let length = 0
    let multiplier = 1
    for (let index = offset + 1; index < buffer.length && index <= offset + 4; index++) {
      const byte = buffer[index]
      length += (byte & 0x7f) * multiplier
      multiplier *= 128
      if ((byte & 0x80) === 0) {
        this.remaining = length
        return index + 1
      }
    }
    return -1
  }
}
