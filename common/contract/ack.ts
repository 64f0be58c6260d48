import { COMMAND_NAMES, type CommandName } from './command.js'
import { ContractError } from './contract-error.js'
import { booleanValue, nonEmptyString, parseJsonObject } from './payload-fields.js'

/** A command's outcome, published by the device on its ack topic (or the command's MQTT 5 Response Topic). */
export interface AckMessage {
  /** The command's id; absent when it came as a bare value. */
  id?: string
  command: CommandName
  ok: boolean
  /** On success: the value now in force. */
  value?: number | string
  /** On refusal: why, for a person to read. */
  reason?: string
}

export function encodeAck(ack: AckMessage): Buffer {
  return Buffer.from(JSON.stringify(ack))
}

export function decodeAck(payload: Buffer): AckMessage {
  const object = parseJsonObject(payload, 'ack')
  if (!(COMMAND_NAMES as readonly unknown[]).includes(object.command))
    throw new ContractError(`ack of unknown command ${JSON.stringify(object.command)}`)
  const ack: AckMessage = { command: object.command as CommandName, ok: booleanValue(object.ok, 'ack ok') }
  if (object.id !== undefined) ack.id = nonEmptyString(object.id, 'ack id')
  if (typeof object.value === 'number' || typeof object.value === 'string') ack.value = object.value
  else if (object.value !== undefined) throw new ContractError('ack value must be a number or a string')
  if (object.reason !== undefined) ack.reason = nonEmptyString(object.reason, 'ack reason')
  return ack
}
