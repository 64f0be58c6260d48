import { COMPACT_READING_VERSION, CompactReadingError, decodeCompactReading, encodeCompactReading } from './compact-reading.js'

/**
 * The device contract: every topic a thermopost device uses and every payload on it. Devices encode
 * with it and the service decodes with it, so this file is the one place that knows the wire.
 *
 *   thermopost/{site}/{device}/reading       QoS 1: ReadingMessage, JSON or compact (decodeReading tells them apart)
 *   thermopost/{site}/{device}/status        retained: `online` on connect, `offline` as the will and on a clean stop
 *   thermopost/{site}/{device}/meta          retained: MetaMessage
 *   thermopost/{site}/{device}/cmd/{name}    to the device: CommandMessage JSON, or the bare value (Home Assistant)
 *   thermopost/{site}/{device}/ack           from the device: AckMessage (or on an MQTT 5 command's Response Topic)
 *
 * Times are milliseconds since the epoch, temperatures degrees Celsius, intervals seconds.
 */

export const TOPIC_ROOT = 'thermopost'

export type DeviceTopicKind = 'reading' | 'status' | 'meta' | 'ack'
export type Mode = 'off' | 'heat'
export const MODES: readonly Mode[] = ['off', 'heat']
export type CommandName = 'setpoint' | 'interval' | 'mode' | 'reboot'
export const COMMAND_NAMES: readonly CommandName[] = ['setpoint', 'interval', 'mode', 'reboot']
export type ReadingFormat = 'json' | 'compact'

/** Setpoints a thermostat accepts, °C; outside them the command is refused with a reason. */
export const SETPOINT_RANGE = { min: 5, max: 35 } as const
/** Reporting intervals a device accepts, seconds. */
export const INTERVAL_RANGE = { min: 0.05, max: 86_400 } as const

export const STATUS_ONLINE = 'online'
export const STATUS_OFFLINE = 'offline'

/** A reading's payload. */
export interface ReadingMessage {
  /** When it was measured (not sent: buffered readings keep it), ms since the epoch, whole. */
  time: number
  /** °C. */
  temperature: number
  /** Thermostats: the target, °C. */
  setpoint?: number
  /** Thermostats: whether the heater is on now. */
  heating?: boolean
  /** Thermostats: `off` (never heats) or `heat`. */
  mode?: Mode
}

/** A device's retained description. */
export interface MetaMessage {
  model: string
  firmware: string
  /** The unit of `temperature` in readings; always °C today. */
  unit: '°C'
  /** Seconds between readings. */
  interval: number
}

/** A command as the device acts on it. `id` is absent when the command came as a bare value. */
export type Command =
  | { name: 'setpoint'; id?: string; value: number }
  | { name: 'interval'; id?: string; value: number }
  | { name: 'mode'; id?: string; value: Mode }
  | { name: 'reboot'; id?: string; value?: undefined }

/** A command's outcome, published on the ack topic (or the Response Topic). */
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

/** A payload or topic that does not follow the contract; the message says what is wrong. */
export class ContractError extends Error {}

export function deviceTopic(site: string, device: string, kind: DeviceTopicKind): string {
  return `${TOPIC_ROOT}/${site}/${device}/${kind}`
}

export function commandTopic(site: string, device: string, name: CommandName): string {
  return `${TOPIC_ROOT}/${site}/${device}/cmd/${name}`
}

/** The filter a device subscribes to for all its commands. */
export function commandFilter(site: string, device: string): string {
  return `${TOPIC_ROOT}/${site}/${device}/cmd/+`
}

export type ParsedTopic =
  | { site: string; device: string; kind: DeviceTopicKind }
  | { site: string; device: string; kind: 'cmd'; command: string }

/** What a topic is about, or undefined when it is not a thermopost device topic. */
export function parseDeviceTopic(topic: string): ParsedTopic | undefined {
  const levels = topic.split('/')
  if (levels[0] !== TOPIC_ROOT) return undefined
  const [, site, device, kind, command] = levels
  if (site === undefined || device === undefined || !isName(site) || !isName(device)) return undefined
  if (levels.length === 4 && (kind === 'reading' || kind === 'status' || kind === 'meta' || kind === 'ack')) return { site, device, kind }
  if (levels.length === 5 && kind === 'cmd' && command !== undefined && command !== '') return { site, device, kind, command }
  return undefined
}

/** A site or device name: one non-empty topic level without wildcards. */
export function isName(name: string): boolean {
  return name !== '' && !/[/+#\u0000]/.test(name)
}

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
  const object = parseObject(payload, 'reading')
  const reading: ReadingMessage = {
    time: wholeNumber(object.time, 'reading time'),
    temperature: finiteNumber(object.temperature, 'reading temperature')
  }
  if (object.setpoint !== undefined) reading.setpoint = finiteNumber(object.setpoint, 'reading setpoint')
  if (object.heating !== undefined) reading.heating = boolean(object.heating, 'reading heating')
  if (object.mode !== undefined) reading.mode = mode(object.mode, 'reading mode')
  return reading
}

export function encodeMeta(meta: MetaMessage): Buffer {
  return Buffer.from(JSON.stringify(meta))
}

export function decodeMeta(payload: Buffer): MetaMessage {
  const object = parseObject(payload, 'meta')
  if (object.unit !== '°C') throw new ContractError(`meta unit must be °C, not ${JSON.stringify(object.unit)}`)
  return {
    model: string(object.model, 'meta model'),
    firmware: string(object.firmware, 'meta firmware'),
    unit: object.unit,
    interval: positiveNumber(object.interval, 'meta interval')
  }
}

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
    const object = parseObject(payload, 'command')
    id = string(object.id, 'command id')
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
      return { name: commandName, ...base, value: mode(value, 'mode value') }
    case 'reboot':
      return { name: commandName, ...base }
  }
}

export function encodeAck(ack: AckMessage): Buffer {
  return Buffer.from(JSON.stringify(ack))
}

export function decodeAck(payload: Buffer): AckMessage {
  const object = parseObject(payload, 'ack')
  if (!(COMMAND_NAMES as readonly unknown[]).includes(object.command))
    throw new ContractError(`ack of unknown command ${JSON.stringify(object.command)}`)
  const ack: AckMessage = { command: object.command as CommandName, ok: boolean(object.ok, 'ack ok') }
  if (object.id !== undefined) ack.id = string(object.id, 'ack id')
  if (typeof object.value === 'number' || typeof object.value === 'string') ack.value = object.value
  else if (object.value !== undefined) throw new ContractError('ack value must be a number or a string')
  if (object.reason !== undefined) ack.reason = string(object.reason, 'ack reason')
  return ack
}

function parseObject(payload: Buffer, what: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new ContractError(`${what} is not valid JSON`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ContractError(`${what} must be a JSON object`)
  return value as Record<string, unknown>
}

function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ContractError(`${what} must be a number`)
  return value
}

function positiveNumber(value: unknown, what: string): number {
  const number = finiteNumber(value, what)
  if (number <= 0) throw new ContractError(`${what} must be above 0`)
  return number
}

function wholeNumber(value: unknown, what: string): number {
  const number = finiteNumber(value, what)
  if (!Number.isSafeInteger(number) || number < 0) throw new ContractError(`${what} must be whole milliseconds since the epoch`)
  return number
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ContractError(`${what} must be a non-empty string`)
  return value
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new ContractError(`${what} must be true or false`)
  return value
}

function mode(value: unknown, what: string): Mode {
  if (value !== 'off' && value !== 'heat') throw new ContractError(`${what} must be off or heat`)
  return value
}
