import type { ApiLimits } from '../../service/api/api-types.js'

/** The setpoint rule as the API serves it (`GET /api/limits`): the form checks what the API will check. */
export type SetpointLimits = ApiLimits['setpoint']

export type SetpointParse = { ok: true; value: number } | { ok: false; message: string }

/** What a person typed into the setpoint field, checked against the API's rule before anything is sent. */
export function parseSetpoint(text: string, limits: SetpointLimits): SetpointParse {
  const trimmed = text.trim().replace(',', '.')
  if (trimmed === '') return { ok: false, message: 'Enter a setpoint in °C.' }
  const value = Number(trimmed)
  const { min, max, step } = limits
  if (!Number.isFinite(value)) return { ok: false, message: `"${text.trim()}" is not a number.` }
  if (value < min || value > max) return { ok: false, message: `The setpoint must be between ${min} and ${max} °C.` }
  if (Math.abs(value / step - Math.round(value / step)) > 1e-9) return { ok: false, message: `The setpoint goes in steps of ${step} °C.` }
  return { ok: true, value }
}
