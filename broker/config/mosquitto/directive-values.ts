import type { MosquittoDirective } from './mosquitto-conf-lines.js'
import type { MosquittoConversion } from './mosquitto-conversion.js'

/**
 * The value of a directive as Mosquitto reads it (src/conf.c): booleans are true/false (or 1/0), numbers
 * whole, strings the rest of the line. A bad or missing value is a problem on its line and gives undefined.
 */

export function booleanValue(directive: MosquittoDirective, conversion: MosquittoConversion): boolean | undefined {
  const [word] = directive.words
  if (directive.words.length === 1 && (word === 'true' || word === '1')) return true
  if (directive.words.length === 1 && (word === 'false' || word === '0')) return false
  conversion.refuse(directive, `${directive.name} takes true or false, not '${directive.rest}'`)
  return undefined
}

export function integerValue(directive: MosquittoDirective, conversion: MosquittoConversion, min: number, max: number): number | undefined {
  const [word = ''] = directive.words
  const value = Number(word)
  if (directive.words.length === 1 && /^-?\d+$/.test(word) && value >= min && value <= max) return value
  conversion.refuse(directive, `${directive.name} takes a whole number from ${min} to ${max}, not '${directive.rest}'`)
  return undefined
}

export function stringValue(directive: MosquittoDirective, conversion: MosquittoConversion): string | undefined {
  if (directive.rest !== '') return directive.rest
  conversion.refuse(directive, `${directive.name} needs a value`)
  return undefined
}

/** Seconds in each unit of persistent_client_expiration (src/conf.c: a month is 30 days, a year 365). */
const durationUnits: Record<string, number> = { h: 3600, d: 86_400, w: 7 * 86_400, m: 30 * 86_400, y: 365 * 86_400 }

/** `2m`, `14d`, `1y`: an integer followed by h, d, w, m or y, in seconds. */
export function durationValue(directive: MosquittoDirective, conversion: MosquittoConversion): number | undefined {
  const match = /^(\d+)([hdwmy])$/.exec(directive.rest)
  if (match !== null && Number(match[1]) > 0) return Number(match[1]) * durationUnits[match[2]!]!
  conversion.refuse(directive, `${directive.name} takes a number followed by h, d, w, m or y (e.g. 14d), not '${directive.rest}'`)
  return undefined
}
