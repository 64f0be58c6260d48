import type { IAuthPacket } from 'mqtt-packet'
import { protocolViolation } from '../protocol/protocol-error.js'
import type { PacketHandler } from './handler.js'

/**
 * No enhanced authentication method is configured: a CONNECT that names one is refused with
 * 0x8C, so any AUTH that still arrives is a Protocol Error (spec 4.12).
 */
export const handleAuth: PacketHandler<IAuthPacket> = () => {
  throw protocolViolation('AUTH without an authentication method (enhanced authentication is not configured)')
}
