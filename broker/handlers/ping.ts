import type { IPingreqPacket } from 'mqtt-packet'
import type { PacketHandler } from './handler.js'

export const handlePingreq: PacketHandler<IPingreqPacket> = (connection) => {
  connection.send({ cmd: 'pingresp' })
}
