/**
 * Reading payload values without trusting them: device payloads are untyped JSON or text, so every
 * field is checked before it becomes part of a Reading. Failures are reasons, not exceptions.
 */

export type JsonObject = Record<string, unknown>

/** The payload as a JSON object, or the reason it is not one. */
export function parseJsonObject(payload: Buffer): JsonObject | string {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    return 'payload is not JSON'
  }
  return isJsonObject(value) ? value : 'payload is not a JSON object'
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A JSON number that is finite; strings, null, NaN and infinities are not numbers here. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

// Number('') is 0 and Number('0x10') is 16: only plain decimal text counts as a number.
const decimalPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** A plain-text number payload ('21.5'); undefined for '', 'nan', 'unavailable' and the like. */
export function parsePlainNumber(payload: Buffer): number | undefined {
  const text = payload.toString('utf8').trim()
  if (!decimalPattern.test(text)) return undefined
  const value = Number(text)
  return Number.isFinite(value) ? value : undefined
}

/**
 * A device timestamp as ms since the epoch: ISO 8601 text with a zone (`Z` or `+01:00`), or a number
 * of ms. Undefined when it is absent, unreadable, or an ISO time without a zone: the device's
 * local time cannot be placed without knowing its zone.
 */
export function zonedTime(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined
  if (typeof value !== 'string' || !/(?:Z|[+-]\d\d:?\d\d)$/.test(value)) return undefined
  const time = Date.parse(value)
  return Number.isNaN(time) ? undefined : time
}
