import mqtt, { type IPublishPacket } from 'mqtt-packet'
import { type Delivery, type EncodedPublish, remainingExpiry } from '../message.js'
import { encodedPublish, packetIdOffset } from '../publish-encoding.js'
import { withBridgePath } from './bridge-path.js'

/** A placeholder packet id in the encoded form; the copy sent patches its own (publish-encoding.ts `patchedHead`). */
const TEMPLATE_PACKET_ID = 1

/**
 * The PUBLISH a bridge sends to its remote for `delivery`, as `remoteTopic`, encoded into one buffer (one write,
 * where mqtt.js's generator writes each field as a chunk of its own). To a 3.1.1 remote under the same topic it is
 * the message's shared form: for a 3.x publisher's message, the very bytes it arrived in. To a 5.0 remote it
 * carries the remaining expiry and `node` added to the bridge path (bridge-path.ts).
 */
export function bridgedPublish(delivery: Delivery, remoteTopic: string, protocolVersion: 4 | 5, node: string): EncodedPublish {
  const { message, qos, retain } = delivery
  const now = message.expiresAt === 0 ? 0 : Date.now()
  if (protocolVersion === 4 && remoteTopic === message.topic) return encodedPublish(message, 4, qos, retain, now, undefined)
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: remoteTopic,
    payload: message.payload,
    qos,
    retain,
    dup: false,
    messageId: qos > 0 ? TEMPLATE_PACKET_ID : undefined
  }
  if (protocolVersion === 5) {
    const { userProperties, ...properties } = message.properties ?? {}
    packet.properties = {
      ...properties,
      messageExpiryInterval: remainingExpiry(message, now),
      userProperties: withBridgePath(userProperties, node)
    }
  }
  const bytes = mqtt.generate(packet, { protocolVersion })
  return { bytes, idOffset: qos > 0 ? packetIdOffset(bytes) : -1 }
}
