import { type Delivery, type EncodedPublish, type Message, remainingExpiry } from '../message.js'
import { hasOnlyExpiry, plainPublish } from '../protocol/plain-publish.js'
import { encodedForm, encodedPublish } from '../publish-encoding.js'
import { BRIDGE_PATH_PROPERTY, withBridgePath } from './bridge-path.js'

/**
 * A bridged PUBLISH, as the out link hands it to the session and gets it back to write: `shared` when its bytes are
 * the message's cached form, which other copies use too; else they were made for this one send, and its packet id
 * may be written into them in place. `remoteTopic` and `payload` are what the out link's events name.
 */
export interface BridgedForm extends EncodedPublish {
  readonly shared: boolean
  readonly remoteTopic: string
  readonly payload: Buffer
}

/** MQTT 5.0 property identifier of a User Property. */
const USER_PROPERTY = 0x26

/**
 * The PUBLISH a bridge sends to its remote for `delivery`, as `remoteTopic`, encoded into one buffer (one write,
 * where mqtt.js's generator writes each field as a chunk of its own). To a 3.1.1 remote under the same topic it is
 * the message's shared form: for a 3.x publisher's message, the very bytes it arrived in. To a 5.0 remote it
 * carries the remaining expiry and `node` added to the bridge path (bridge-path.ts): written directly for a
 * message with no other properties (the usual reading; protocol/plain-publish.ts), by mqtt-packet's generator
 * otherwise.
 */
export function bridgedPublish(delivery: Delivery, remoteTopic: string, protocolVersion: 4 | 5, node: string): BridgedForm {
  const { message, qos, retain } = delivery
  const now = message.expiresAt === 0 ? 0 : Date.now()
  if (protocolVersion === 4 && remoteTopic === message.topic) {
    return { ...encodedPublish(message, 4, qos, retain, now, undefined), shared: true, remoteTopic, payload: message.payload }
  }
  const { bytes, idOffset } =
    protocolVersion === 4
      ? plainPublish(message, remoteTopic, 4, qos, retain, undefined, undefined)
      : hasOnlyExpiry(message)
        ? plainPublish(message, remoteTopic, 5, qos, retain, remainingExpiry(message, now), pathPropertyOf(node))
        : encodedForm(message, remoteTopic, qos, retain, withBridgePathProperties(message, now, node))
  return { bytes, idOffset, shared: false, remoteTopic, payload: message.payload }
}

/** The message's 5.0 properties as sent on: its remaining expiry, and the bridge path added to its user properties. */
function withBridgePathProperties(message: Message, now: number, node: string): NonNullable<Message['properties']> {
  const { userProperties, ...properties } = message.properties ?? {}
  return { ...properties, messageExpiryInterval: remainingExpiry(message, now), userProperties: withBridgePath(userProperties, node) }
}

/** The bridge path user property naming `node` alone, encoded once per node. */
const pathProperties = new Map<string, Buffer>()

function pathPropertyOf(node: string): Buffer {
  let encoded = pathProperties.get(node)
  if (encoded === undefined) {
    const key = Buffer.from(BRIDGE_PATH_PROPERTY)
    const value = Buffer.from(node)
    encoded = Buffer.allocUnsafe(5 + key.length + value.length)
    encoded[0] = USER_PROPERTY
    encoded.writeUInt16BE(key.length, 1)
    key.copy(encoded, 3)
    encoded.writeUInt16BE(value.length, 3 + key.length)
    value.copy(encoded, 5 + key.length)
    pathProperties.set(node, encoded)
  }
  return encoded
}
