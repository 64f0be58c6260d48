import { ContractError } from './contract-error.js'
import { nonEmptyString, parseJsonObject, positiveNumber } from './payload-fields.js'

/** A device's retained description, on its meta topic. */
export interface MetaMessage {
  model: string
  firmware: string
  /** The unit of `temperature` in readings; always °C today. */
  unit: '°C'
  /** Seconds between readings. */
  interval: number
}

export function encodeMeta(meta: MetaMessage): Buffer {
  return Buffer.from(JSON.stringify(meta))
}

export function decodeMeta(payload: Buffer): MetaMessage {
  const object = parseJsonObject(payload, 'meta')
  if (object.unit !== '°C') throw new ContractError(`meta unit must be °C, not ${JSON.stringify(object.unit)}`)
  return {
    model: nonEmptyString(object.model, 'meta model'),
    firmware: nonEmptyString(object.firmware, 'meta firmware'),
    unit: object.unit,
    interval: positiveNumber(object.interval, 'meta interval')
  }
}
