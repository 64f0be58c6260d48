import { Reason } from './reason-codes.js'

/**
 * A violation that ends the connection. Handlers throw it; only handlers/index.ts turns it into a
 * DISCONNECT (5.0) or a plain close (3.x).
 */
export class ProtocolError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string
  ) {
    super(message)
    this.name = 'ProtocolError'
  }
}

export function malformed(message: string): ProtocolError {
  return new ProtocolError(Reason.MalformedPacket, message)
}

export function protocolViolation(message: string): ProtocolError {
  return new ProtocolError(Reason.ProtocolError, message)
}
