import { PacketFramer } from './protocol/framer.js'
import { ReadAhead } from './read-ahead.js'

/** The first byte of a PINGREQ (type 12, no flags), which is answered even while a handler holds the connection. */
const PINGREQ = 0xc0

/**
 * What a connection has read and not yet handled: bytes framed into whole packets, and the packets read ahead while
 * a handler holds the connection (read-ahead.ts). Made for the first bytes and given up once empty (`isEmpty`), so
 * an idle connection holds neither (see PacketFramer.take).
 */
export class PacketIntake {
  private framer: PacketFramer | undefined
  private readAhead: ReadAhead | undefined

  constructor(private readonly maxPacketSize: number) {}

  get isEmpty(): boolean {
    return this.framer === undefined && this.readAhead === undefined
  }

  /** Whether as much as may be is read ahead: the connection stops reading. */
  get isFull(): boolean {
    return this.readAhead?.isFull === true
  }

  feed(chunk: Buffer): void {
    this.framer ??= PacketFramer.take(this.maxPacketSize)
    this.framer.feed(chunk)
  }

  /** The next packet to handle: one read ahead first, else the next whole one off the wire (throws on a bad header). */
  next(): Buffer | undefined {
    const ahead = this.readAhead?.shift()
    if (ahead !== undefined) return ahead
    this.readAhead = undefined
    return this.framed()
  }

  /**
   * While held: frames what came in, keeping each packet for later but a PINGREQ, which goes to `answerPing` at once.
   * Throws on a bad header, as `next` does.
   */
  readWhileHeld(answerPing: (bytes: Buffer) => void): void {
    for (;;) {
      const bytes = this.framed()
      if (bytes === undefined) return
      if (bytes.length === 2 && bytes[0] === PINGREQ && bytes[1] === 0) answerPing(bytes)
      else {
        this.readAhead ??= new ReadAhead()
        this.readAhead.push(bytes)
      }
    }
  }

  /** The next whole packet off the wire, if one is complete; the framer goes back once it holds nothing. */
  private framed(): Buffer | undefined {
    const framer = this.framer
    if (framer === undefined) return undefined
    const bytes = framer.next()
    if (bytes === undefined && framer.isEmpty) {
      this.framer = undefined
      PacketFramer.release(framer)
    }
    return bytes
  }
}
