import type { IConnectPacket } from 'mqtt-packet'

/** The Will of a connection, as its CONNECT carried it. */
export type Will = NonNullable<IConnectPacket['will']>

/** Seconds to wait before publishing the will (5.0 Will Delay Interval; 3.x has none). */
export function willDelay(will: Will): number {
  return will.properties?.willDelayInterval ?? 0
}
