import { isUtf8 } from 'node:buffer'

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
