/**
 * Setpoints a thermostat accepts, °C. The same numbers as SETPOINT_RANGE in common/contract/command.ts, which the
 * browser cannot load (the dashboard serves only its own modules, under /app/); test/dashboard/setpoint-input.test.ts
 * keeps them equal.
 */
export const SETPOINT_LIMITS = { min: 5, max: 35, step: 0.5 } as const

export type SetpointParse = { ok: true; value: number } | { ok: false; message: string }

/** What a person typed into the setpoint field, checked before anything is sent. */
export function parseSetpoint(text: string): SetpointParse {
  const trimmed = text.trim().replace(',', '.')
  if (trimmed === '') return { ok: false, message: 'Enter a setpoint in °C.' }
  const value = Number(trimmed)
  const { min, max, step } = SETPOINT_LIMITS
  if (!Number.isFinite(value)) return { ok: false, message: `"${text.trim()}" is not a number.` }
  if (value < min || value > max) return { ok: false, message: `The setpoint must be between ${min} and ${max} °C.` }
  if (Math.abs(value / step - Math.round(value / step)) > 1e-9) return { ok: false, message: `The setpoint goes in steps of ${step} °C.` }
  return { ok: true, value }
}
