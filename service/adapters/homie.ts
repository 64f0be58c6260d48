import { type Adapter, type AdapterResult, noReading, notMine, readings, unrecognized } from './adapter.js'
import { adapterReading, adapterStatus } from './adapter-reading.js'
import { parsePlainNumber } from './payload-values.js'
import { isTemperatureUnit, toCelsius } from './temperature-unit.js'

/**
 * Homie 4: property values as plain text on `homie/{device}/{node}/{property}`, described by
 * retained attributes beside them: `.../{property}/$datatype` (only 'float' and 'integer' can be
 * temperatures), `$unit` ('°C', '°F') and `$name`. A property is a thermometer when its unit is a
 * temperature unit, or, while no unit is known, when its id or `$name` says 'temperature' (°C then).
 * Values carry no time: the receive time is used.
 *
 * `homie/{device}/$state` becomes a status: offline for 'disconnected' and 'lost', online for
 * 'init', 'ready', 'sleeping' (a sleeping device is expected back) and 'alert'.
 *
 * Device ids: `homie/{device}/{node}/{property}`; the status is `homie/{device}`, above them.
 */

const source = 'homie'
const numericTypes = new Set(['float', 'integer'])
const states = new Map([
  ['init', true],
  ['ready', true],
  ['sleeping', true],
  ['alert', true],
  ['disconnected', false],
  ['lost', false]
])

interface PropertyInfo {
  datatype?: string
  unit?: string
  name?: string
}

export interface HomieOptions {
  /** The Homie base topic; 'homie' by default. */
  baseTopic?: string
}

export function createHomieAdapter(options: HomieOptions = {}): Adapter {
  const base = options.baseTopic ?? 'homie'
  /** Attributes per `{device}/{node}/{property}`, from their retained topics. */
  const properties = new Map<string, PropertyInfo>()

  function decodeAttribute(path: string, attribute: string, payload: Buffer): AdapterResult {
    if (attribute !== '$datatype' && attribute !== '$unit' && attribute !== '$name') return noReading
    const info = properties.get(path) ?? {}
    const text = payload.toString('utf8')
    if (attribute === '$datatype') info.datatype = text
    else if (attribute === '$unit') info.unit = text
    else info.name = text
    properties.set(path, info)
    return noReading
  }

  function decodeValue(levels: string[], payload: Buffer, receivedAt: number): AdapterResult {
    const path = levels.join('/')
    const info = properties.get(path) ?? {}
    if (info.datatype !== undefined && !numericTypes.has(info.datatype)) return noReading
    const unit = info.unit !== undefined && info.unit !== '' ? info.unit : undefined
    const named = levels[2] === 'temperature' || /temperature/i.test(info.name ?? '')
    if (unit !== undefined ? !isTemperatureUnit(unit) : !named) return noReading
    const value = parsePlainNumber(payload)
    if (value === undefined) return unrecognized(`${info.datatype ?? 'numeric'} value is not a number`)
    return readings([adapterReading(source, path, receivedAt, toCelsius(value, unit ?? '°C')!)])
  }

  function decodeState(device: string, payload: Buffer, receivedAt: number): AdapterResult {
    const state = payload.toString('utf8')
    if (state === '') return noReading // the device was removed
    const online = states.get(state)
    if (online === undefined) return unrecognized(`$state ${JSON.stringify(state.slice(0, 40))} is not a Homie state`)
    return { kind: 'status', status: adapterStatus(source, device, online, state, receivedAt) }
  }

  return {
    name: source,
    subscriptions: [
      { filter: `${base}/+/+/+`, shareable: true },
      { filter: `${base}/+/$state`, shareable: false },
      { filter: `${base}/+/+/+/$datatype`, shareable: false },
      { filter: `${base}/+/+/+/$unit`, shareable: false },
      { filter: `${base}/+/+/+/$name`, shareable: false }
    ],
    decode(topic, payload, receivedAt) {
      if (!topic.startsWith(`${base}/`)) return notMine
      const levels = topic.slice(base.length + 1).split('/')
      if (levels.length === 2 && levels[1] === '$state') return decodeState(levels[0], payload, receivedAt)
      if (levels.length === 3) return levels.some((level) => level.startsWith('$')) ? noReading : decodeValue(levels, payload, receivedAt)
      if (levels.length === 4) return decodeAttribute(levels.slice(0, 3).join('/'), levels[3], payload)
      return noReading
    }
  }
}
