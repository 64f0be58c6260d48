import type { IAuthPacket } from 'mqtt-packet'
import { ProtocolError } from '../protocol/protocol-error.js'
import { Reason } from '../protocol/reason-codes.js'
import type { PacketHandler } from './handler.js'

/** No enhanced authentication method is configured, so any AUTH is refused (spec 4.12). */
export const handleAuth: PacketHandler<IAuthPacket> = () => {
  throw new ProtocolError(Reason.BadAuthenticationMethod, 'enhanced authentication is not supported')
}
