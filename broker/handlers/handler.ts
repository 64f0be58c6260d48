import type { Packet } from 'mqtt-packet'
import type { Connection } from '../connection.js'

/**
 * The one signature of every packet handler. `wire` is the packet's own bytes. A handler returns a
 * promise only when it must wait (for the store, for authentication); the connection holds its
 * next packets until then. Connection-level violations are thrown as ProtocolError.
 */
export type PacketHandler<P extends Packet> = (connection: Connection, packet: P, wire: Buffer) => void | Promise<void>
