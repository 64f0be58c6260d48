import type { IConnectPacket } from 'mqtt-packet'

/** The Will of a connection, as its CONNECT carried it. */
export type Will = NonNullable<IConnectPacket['will']>

/** Seconds to wait before publishing the will (5.0 Will Delay Interval; 3.x has none). */
export function willDelay(will: Will): number {
  return will.properties?.willDelayInterval ?? 0
}

/**
 * The will as a session keeps it while its connection lasts: the payload copied out of the socket chunk the CONNECT
 * was parsed from, which a view would pin for as long: the chunk's memory and an ArrayBuffer object for an `offline` of
 * 7 bytes (1.5 MB of heap over a fleet of 10 000 devices). A small copy shares an 8 KiB pool slab with others.
 */
export function keptWill(will: Will): Will {
  const payload = will.payload
  if (typeof payload === 'string' || payload.buffer.byteLength <= payload.length) return will
  return { ...will, payload: Buffer.from(payload) }
}
