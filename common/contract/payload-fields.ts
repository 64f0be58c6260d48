import { ContractError } from './contract-error.js'
import type { Mode } from './mode.js'

/**
 * The checks every JSON payload of the contract is read with: each returns the field as its type or throws
 * ContractError naming `what` was wrong, so a decoder reads as a list of its fields.
 */

export function parseJsonObject(payload: Buffer, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new ContractError(`${what} is not valid JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ContractError(`${what} must be a JSON object`)
  return value as Record<string, unknown>
}

export function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ContractError(`${what} must be a number`)
  return value
}

export function positiveNumber(value: unknown, what: string): number {
  const number = finiteNumber(value, what)
  if (number <= 0) throw new ContractError(`${what} must be above 0`)
  return number
}

export function epochMillis(value: unknown, what: string): number {
  const number = finiteNumber(value, what)
  if (!Number.isSafeInteger(number) || number < 0) throw new ContractError(`${what} must be whole milliseconds since the epoch`)
  return number
}

export function nonEmptyString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ContractError(`${what} must be a non-empty string`)
  return value
}

export function booleanValue(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new ContractError(`${what} must be true or false`)
  return value
}

export function modeValue(value: unknown, what: string): Mode {
  if (value !== 'off' && value !== 'heat') throw new ContractError(`${what} must be off or heat`)
  return value
}
