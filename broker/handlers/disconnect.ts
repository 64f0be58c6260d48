import type { IDisconnectPacket } from 'mqtt-packet'
import { protocolViolation } from '../protocol/protocol-error.js'
import { Reason } from '../protocol/reason-codes.js'
import type { PacketHandler } from './handler.js'

export const handleDisconnect: PacketHandler<IDisconnectPacket, 'options'> = (connection, packet, { options }) => {
  const session = connection.session!
  const expiry = packet.properties?.sessionExpiryInterval
  if (expiry !== undefined) {
    // A session that was to end with its connection cannot be made to outlive it now (spec 3.14.2.2.2, a Protocol Error).
    if (session.expiry === 0 && expiry !== 0) throw protocolViolation('Session Expiry Interval set on DISCONNECT after 0 on CONNECT')
    session.setExpiry(Math.min(expiry, options.maxSessionExpiry))
  }
  // A normal DISCONNECT discards the will [MQTT-3.1.2-10]; 5.0 reason 0x04 asks for it all the same.
  connection.closeOnDisconnect(packet.reasonCode === Reason.DisconnectWithWill)
}
