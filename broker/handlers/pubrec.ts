import type { IPubrecPacket } from 'mqtt-packet'
import { Reason } from '../protocol/reason-codes.js'
import type { PacketHandler } from './handler.js'

/** The client has a QoS 2 message we sent: answer PUBREL and wait for PUBCOMP. */
export const handlePubrec: PacketHandler<IPubrecPacket> = (connection, packet) => {
  const session = connection.session!
  const packetId = packet.messageId ?? 0
  const record = session.inflight.get(packetId)
  if (record !== undefined && record.delivery.qos === 2 && (packet.reasonCode ?? 0) >= 0x80) {
    session.complete(packetId) // a 5.0 client refused it: the exchange ends here (spec 4.3.3)
    return
  }
  if (record === undefined || record.delivery.qos !== 2) {
    if (connection.protocolVersion === 5) {
      connection.send({ cmd: 'pubrel', messageId: packetId, reasonCode: Reason.PacketIdentifierNotFound })
    } else {
      connection.sendPubrel(packetId)
    }
    return
  }
  session.released(packetId)
  connection.sendPubrel(packetId)
}
