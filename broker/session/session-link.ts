import type { Delivery, EncodedPublish } from '../message.js'

/** What a session needs from the connection it is attached to. */
export interface SessionLink {
  /** False once the connection has closed. */
  readonly isOpen: boolean
  readonly protocolVersion: 3 | 4 | 5
  /** How many QoS 1/2 messages may be in flight to the client. */
  readonly sendWindow: number
  /** The PUBLISH for this delivery, or undefined when the client cannot take it (too large). */
  encodePublish(delivery: Delivery): EncodedPublish | undefined
  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void
  sendPubrel(packetId: number): void
  /** The client is not reading: QoS 0 messages would only pile up in the socket. */
  readonly isCongested: boolean
  /** After a QoS 0 message was written: what its publisher waits for while the client reads too slowly, if anything. */
  socketBacklogWait(): Promise<void> | undefined
  /** Ends the connection for `reasonCode` (a takeover: 0x8E Session taken over). */
  disconnect(reasonCode: number, reason: string): void
}

/** How much may wait in one session's queue, and who hears of what is dropped to keep within it. */
export interface QueueLimits {
  readonly maxMessages: number
  /** Payload bytes. */
  readonly maxBytes: number
  /** Told of each message dropped for the limits (the oldest make room, or one larger than `maxBytes` alone). */
  dropped?(delivery: Delivery): void
}
