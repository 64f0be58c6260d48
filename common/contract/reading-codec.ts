import { COMPACT_READING_VERSION, CompactReadingError, decodeCompactReading, encodeCompactReading } from './compact-reading.js'
import { ContractError } from './contract-error.js'
import { booleanValue, epochMillis, finiteNumber, modeValue, parseJsonObject } from './payload-fields.js'
import type { ReadingMessage } from './reading-message.js'

/** The two forms a reading travels in: JSON (`{"time": ..., "temperature": ...}`), or compact (compact-reading.ts). */
export type ReadingFormat = 'json' | 'compact'

export function encodeReading(reading: ReadingMessage, format: ReadingFormat): Buffer {
  return format === 'compact' ? encodeCompactReading(reading) : Buffer.from(JSON.stringify(reading))
}

/** Decodes a reading in either format: JSON starts with `{`, compact with its version byte. */
export function decodeReading(payload: Buffer): ReadingMessage {
  if (payload[0] === COMPACT_READING_VERSION) {
    try {
      return decodeCompactReading(payload)
    } catch (error) {
      if (error instanceof CompactReadingError) throw new ContractError(error.message)
      throw error
    }
  }
  if (payload[0] !== 0x7b) throw new ContractError('a reading is a JSON object or a compact reading')
  const object = parseJsonObject(payload, 'reading')
  const reading: ReadingMessage = {
    time: epochMillis(object.time, 'reading time'),
    temperature: finiteNumber(object.temperature, 'reading temperature')
  }
  if (object.setpoint !== undefined) reading.setpoint = finiteNumber(object.setpoint, 'reading setpoint')
  if (object.heating !== undefined) reading.heating = booleanValue(object.heating, 'reading heating')
  if (object.mode !== undefined) reading.mode = modeValue(object.mode, 'reading mode')
  return reading
}
