import type { IPubackPacket } from 'mqtt-packet'
import type { PacketHandler } from './handler.js'

/** The client has a QoS 1 message we sent: it leaves the in-flight window. */
export const handlePuback: PacketHandler<IPubackPacket> = (connection, packet) => {
  const session = connection.session!
  const record = session.inflight.get(packet.messageId ?? 0)
  if (record === undefined || record.state !== 'publish' || record.delivery.qos !== 1) return
  session.complete(record.packetId)
}
