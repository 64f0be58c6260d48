import type { IPubrelPacket } from 'mqtt-packet'
import { Reason } from '../protocol/reason-codes.js'
import type { PacketHandler } from './handler.js'

/** The client releases an inbound QoS 2 message: forget its id, so the next use of it is a new message. */
export const handlePubrel: PacketHandler<IPubrelPacket> = (connection, packet) => {
  const session = connection.session!
  const packetId = packet.messageId ?? 0
  const known = session.releasedQos2(packetId)
  if (!known && connection.protocolVersion === 5) {
    connection.send({ cmd: 'pubcomp', messageId: packetId, reasonCode: Reason.PacketIdentifierNotFound })
    return
  }
  connection.replyWhenStored('pubcomp', packetId)
}
