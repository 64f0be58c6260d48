import type { IConnectPacket } from 'mqtt-packet'
import { encodePacket } from './codec.js'

/**
 * What mqtt-packet lets through in a CONNECT although the specification forbids it: a will QoS of 3
 * (3.1.1 [MQTT-3.1.2-14], 5.0 [MQTT-3.1.2-12]), and payload fields that the flags do not announce (a user
 * name with the User Name Flag clear [MQTT-3.1.2-18], a password with the Password Flag clear
 * [MQTT-3.1.2-20], a will with the Will Flag clear [MQTT-3.1.2-11]): the parser reads only the flagged fields
 * and ignores the rest. At 3.x the packet has one encoding, so a CONNECT longer than the re-encoding of what
 * was read holds such a field; 5.0 properties may be encoded in more than one way, so there only the QoS is checked.
 */
export function connectFieldsProblem(packet: IConnectPacket, wire: Buffer): string | undefined {
  if ((packet.will?.qos ?? 0) > 2) return 'will QoS 3'
  const version = packet.protocolVersion ?? 4
  if (version === 5) return undefined
  return encodedLength(packet, version) < wire.length ? 'CONNECT holds a field its flags do not announce' : undefined
}

/**
 * The length of the CONNECT's one 3.x encoding; Infinity when mqtt-packet will not encode it (an empty client
 * id with a persistent session, which the connect handler refuses with its own reason).
 */
function encodedLength(packet: IConnectPacket, version: 3 | 4): number {
  try {
    return encodePacket(packet, version).length
  } catch {
    return Number.POSITIVE_INFINITY
  }
}
