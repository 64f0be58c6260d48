import type { IPublishPacket, UserProperties } from 'mqtt-packet'
import type { Message } from '../message.js'

/**
 * The brokers a message has been bridged from, in a 5.0 user property, one value per broker: each bridge adds
 * its broker's node name when it forwards a message, and a broker turns away a message that names it (it went
 * round and came back). This stops the loop of two brokers that each bridge the same topics out to the other,
 * which No Local alone cannot: there each copy comes back through a different connection.
 */
export const BRIDGE_PATH_PROPERTY = 'thermopost-bridge-path'

/** Whether `message` has been bridged out of the broker named `node` before. */
export function hasBeenThrough(message: Message, node: string): boolean {
  const path = message.properties?.userProperties?.[BRIDGE_PATH_PROPERTY]
  if (path === undefined) return false
  return Array.isArray(path) ? path.includes(node) : path === node
}

/** The user properties of a message bridged out of `node`: its own, with `node` added to the path. */
export function withBridgePath(
  userProperties: UserProperties | undefined,
  node: string
): NonNullable<IPublishPacket['properties']>['userProperties'] {
  const path = userProperties?.[BRIDGE_PATH_PROPERTY]
  const nodes = path === undefined ? [node] : [...(Array.isArray(path) ? path : [path]), node]
  return { ...userProperties, [BRIDGE_PATH_PROPERTY]: nodes }
}
