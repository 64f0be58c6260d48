import { isUtf8 } from 'node:buffer'
import type { IPublishPacket } from 'mqtt-packet'

/**
 * mqtt-packet decodes strings leniently (invalid bytes become U+FFFD), but the spec makes
 * ill-formed UTF-8 a Malformed Packet [MQTT-1.5.4-1]. These checks look at the wire bytes only when
 * a decoded string shows a replacement character, so well-formed traffic pays one scan.
 */

/** Whether the topic of the PUBLISH in `wire` is well-formed UTF-8. */
export function publishTopicIsUtf8(wire: Buffer): boolean {
  let offset = 1
  while ((wire[offset] & 0x80) !== 0) offset++
  offset++
  const length = wire.readUInt16BE(offset)
  return isUtf8(wire.subarray(offset + 2, offset + 2 + length))
}

/**
 * For packets other than PUBLISH: a replacement character that the wire does not carry as the
 * three bytes EF BF BD came from an ill-formed sequence.
 */
export function stringsAreUtf8(strings: Array<string | undefined>, wire: Buffer): boolean {
  if (!strings.some((value) => value?.includes('\uFFFD'))) return true
  return wire.includes(REPLACEMENT_CHARACTER)
}

const REPLACEMENT_CHARACTER = Buffer.from([0xef, 0xbf, 0xbd])

/**
 * For a 5.0 PUBLISH: its string properties (Content Type, Response Topic, User Properties) are well-formed
 * UTF-8 [MQTT-1.5.4-1, MQTT-1.5.7-1]. As above, the wire is looked at only when a decoded string shows a
 * replacement character, and then only the property bytes, never the payload.
 */
export function publishPropertiesAreUtf8(properties: NonNullable<IPublishPacket['properties']>, qos: number, wire: Buffer): boolean {
  if (!propertiesShowReplacement(properties)) return true
  return publishPropertyBytes(wire, qos).includes(REPLACEMENT_CHARACTER)
}

/** Whether a string property shows U+FFFD; walks them in place, as it runs for every 5.0 PUBLISH with properties. */
function propertiesShowReplacement(properties: NonNullable<IPublishPacket['properties']>): boolean {
  if (properties.contentType?.includes('\uFFFD') === true || properties.responseTopic?.includes('\uFFFD') === true) return true
  const user = properties.userProperties
  if (user === undefined) return false
  for (const key in user) {
    if (key.includes('\uFFFD')) return true
    const value = user[key]
    if (typeof value === 'string' ? value.includes('\uFFFD') : value.some((each) => each.includes('\uFFFD'))) return true
  }
  return false
}

/** The property section of the 5.0 PUBLISH in `wire`: after the topic and packet identifier, before the payload. */
function publishPropertyBytes(wire: Buffer, qos: number): Buffer {
  let offset = 1
  while ((wire[offset] & 0x80) !== 0) offset++
  offset++
  offset += 2 + wire.readUInt16BE(offset) + (qos > 0 ? 2 : 0)
  let length = 0
  let shift = 0
  let byte: number
  do {
    byte = wire[offset++]
    length += (byte & 0x7f) * 2 ** shift
    shift += 7
  } while ((byte & 0x80) !== 0 && shift < 28)
  return wire.subarray(offset, offset + length)
}
