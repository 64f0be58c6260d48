import type { IPubcompPacket } from 'mqtt-packet'
import type { PacketHandler } from './handler.js'

/** The QoS 2 exchange we started is complete: the message leaves the in-flight window. */
export const handlePubcomp: PacketHandler<IPubcompPacket> = (connection, packet) => {
  const session = connection.session!
  const record = session.inflight.get(packet.messageId ?? 0)
  if (record === undefined || record.state !== 'pubrel') return
  session.complete(record.packetId)
}
