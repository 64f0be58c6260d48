import { ContractError } from './contract-error.js'
import type { Mode } from './mode.js'
import { finiteNumber, modeValue, nonEmptyString, parseJsonObject } from './payload-fields.js'

/** The commands a device takes, each on its own topic (`.../cmd/{name}`), and the values it accepts. */
export type CommandName = 'setpoint' | 'interval' | 'mode' | 'reboot'
export const COMMAND_NAMES: readonly CommandName[] = ['setpoint', 'interval', 'mode', 'reboot']

/**
 * Setpoints a thermostat accepts, °C; outside them the command is refused with a reason. `step`: the API takes
 * setpoints on this grid only (a thermostat's display shows half degrees) and serves the whole rule to the
 * dashboard (`GET /api/limits`), so the form and the API never disagree.
 */
export const SETPOINT_RANGE = { min: 5, max: 35, step: 0.5 } as const

/** The value is a whole number of SETPOINT_RANGE steps (to a rounding error: 0.1 + 0.2 is not 0.3 in binary). */
export function onSetpointStep(value: number): boolean {
  const steps = value / SETPOINT_RANGE.step
  return Math.abs(steps - Math.round(steps)) < 1e-9
}
/** Reporting intervals a device accepts, seconds. */
export const INTERVAL_RANGE = { min: 0.05, max: 86_400 } as const

/** A command as the device acts on it. `id` is absent when the command came as a bare value. */
export type Command =
  | { name: 'setpoint'; id?: string; value: number }
  | { name: 'interval'; id?: string; value: number }
  | { name: 'mode'; id?: string; value: Mode }
  | { name: 'reboot'; id?: string; value?: undefined }

/** The payload to send a command with (the service's side). */
export function encodeCommand(id: string, value: number | string | undefined): Buffer {
  return Buffer.from(JSON.stringify(value === undefined ? { id } : { id, value }))
}

/**
 * Reads a command from its topic's last level and its payload: `{"id": "...", "value": ...}`, or for
 * Home Assistant (which sends bare values) the value alone: `21.5`, `heat`. A bare command has no id.
 * Throws ContractError for an unknown name or a malformed payload; a value out of range is not an
 * error here but the device's to refuse, with a reason in its ack.
 */
export function decodeCommand(name: string, payload: Buffer): Command {
  if (!(COMMAND_NAMES as readonly string[]).includes(name)) throw new ContractError(`unknown command '${name}'`)
  const commandName = name as CommandName
  let id: string | undefined
  let value: unknown
  if (payload[0] === 0x7b) {
    const object = parseJsonObject(payload, 'command')
    id = nonEmptyString(object.id, 'command id')
    value = object.value
  } else {
    const text = payload.toString('utf8').trim()
    value = text === '' ? undefined : commandName === 'mode' ? text : Number(text)
  }
  const base = id === undefined ? {} : { id }
  switch (commandName) {
    case 'setpoint':
      return { name: commandName, ...base, value: finiteNumber(value, 'setpoint value') }
    case 'interval':
      return { name: commandName, ...base, value: finiteNumber(value, 'interval value') }
    case 'mode':
      return { name: commandName, ...base, value: modeValue(value, 'mode value') }
    case 'reboot':
      return { name: commandName, ...base }
  }
}
