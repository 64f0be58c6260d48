import type { Packet } from 'mqtt-packet'
import { encodePacket } from './codec.js'

/**
 * Encodes a packet for a 5.0 client that set a Maximum Packet Size: when the packet would be larger, it goes
 * without its Reason String and User Properties, which the server must leave out rather than exceed the
 * client's limit (CONNACK [MQTT-3.2.2-19, MQTT-3.2.2-20], DISCONNECT [MQTT-3.14.2-3, MQTT-3.14.2-4], the
 * acknowledgements likewise). The rest of the packet is what the client must get; PUBLISHes are sized apart.
 */
export function encodeWithinPacketSize(packet: Packet, version: 3 | 4 | 5, maximum: number): Buffer {
  const bytes = encodePacket(packet, version)
  if (bytes.length <= maximum || version !== 5 || !('properties' in packet) || packet.properties === undefined) return bytes
  const { reasonString: _reason, userProperties: _user, ...rest } = packet.properties as Record<string, unknown>
  return encodePacket({ ...packet, properties: rest } as Packet, version)
}
