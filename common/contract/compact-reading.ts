import type { Mode } from './mode.js'
import type { ReadingMessage } from './reading-message.js'

/**
 * The compact binary form of a reading, for constrained links (cellular, satellite): 12 bytes where
 * the JSON form takes about 80. With an MQTT 5 topic alias and QoS 1 the whole PUBLISH is 22 bytes:
 * fixed header 2 + empty topic 2 + packet id 2 + properties 4 (length 1, alias 3) + these 12.
 *
 *   offset size  field
 *   0      1     version: COMPACT_READING_VERSION. Never 0x7B ('{'), so a decoder tells JSON from compact by the first byte.
 *   1      4     uint32 BE: whole seconds since the epoch of the measurement (valid until 2106)
 *   5      2     uint16 BE: milliseconds within that second, 0–999
 *   7      2     int16 BE: temperature in hundredths of °C (−327.67 to 327.67)
 *   9      2     int16 BE: setpoint in hundredths of °C; NO_SETPOINT (−32768) when the device has none
 *   11     1     flags: bit 0 heating is known, bit 1 heating on, bit 2 mode is known, bit 3 mode is heat (else off)
 *
 * Bump the version when the layout changes; decoders refuse versions they do not know.
 */
export const COMPACT_READING_VERSION = 1
export const COMPACT_READING_BYTES = 12
const NO_SETPOINT = -32768
const HEATING_KNOWN = 1
const HEATING_ON = 2
const MODE_KNOWN = 4
const MODE_HEAT = 8

/** Thrown for a compact payload this version cannot read. */
export class CompactReadingError extends Error {}

export function encodeCompactReading(reading: ReadingMessage): Buffer {
  const buffer = Buffer.alloc(COMPACT_READING_BYTES)
  buffer[0] = COMPACT_READING_VERSION
  buffer.writeUInt32BE(Math.floor(reading.time / 1000), 1)
  buffer.writeUInt16BE(reading.time % 1000, 5)
  buffer.writeInt16BE(centi(reading.temperature, 'temperature'), 7)
  buffer.writeInt16BE(reading.setpoint === undefined ? NO_SETPOINT : centi(reading.setpoint, 'setpoint'), 9)
  let flags = 0
  if (reading.heating !== undefined) flags |= HEATING_KNOWN | (reading.heating ? HEATING_ON : 0)
  if (reading.mode !== undefined) flags |= MODE_KNOWN | (reading.mode === 'heat' ? MODE_HEAT : 0)
  buffer[11] = flags
  return buffer
}

export function decodeCompactReading(payload: Buffer): ReadingMessage {
  if (payload[0] !== COMPACT_READING_VERSION) throw new CompactReadingError(`unknown compact reading version ${payload[0]}`)
  if (payload.length !== COMPACT_READING_BYTES)
    throw new CompactReadingError(`a compact reading is ${COMPACT_READING_BYTES} bytes, not ${payload.length}`)
  const millis = payload.readUInt16BE(5)
  if (millis > 999) throw new CompactReadingError(`milliseconds field ${millis} is over 999`)
  const reading: ReadingMessage = {
    time: payload.readUInt32BE(1) * 1000 + millis,
    temperature: payload.readInt16BE(7) / 100
  }
  const setpoint = payload.readInt16BE(9)
  if (setpoint !== NO_SETPOINT) reading.setpoint = setpoint / 100
  const flags = payload[11]!
  if ((flags & HEATING_KNOWN) !== 0) reading.heating = (flags & HEATING_ON) !== 0
  if ((flags & MODE_KNOWN) !== 0) reading.mode = ((flags & MODE_HEAT) !== 0 ? 'heat' : 'off') satisfies Mode
  return reading
}

/** Hundredths, refusing what int16 cannot hold (NO_SETPOINT itself included) rather than wrapping. */
function centi(celsius: number, field: string): number {
  const value = Math.round(celsius * 100)
  if (value <= NO_SETPOINT || value > 32767) throw new RangeError(`${field} ${celsius} °C does not fit the compact format`)
  return value
}
