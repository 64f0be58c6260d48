import type { Reading } from '../reading.js'
import { type Adapter, type AdapterResult, type AdapterSubscription, noReading, notMine, readings, unrecognized } from './adapter.js'
import { adapterReading } from './adapter-reading.js'
import { finiteNumber, isJsonObject, type JsonObject, parseJsonObject } from './payload-values.js'
import { toCelsius } from './temperature-unit.js'

/**
 * Shelly Gen2 / Plus / Gen3: with "generic status update over MQTT" a component's status goes to
 * `{prefix}/status/temperature:0` (`{"id":0,"tC":21.4,"tF":70.5}`) and `{prefix}/status/humidity:0`
 * (`{"id":0,"rh":45}`); with "RPC status notifications" changes go to `{prefix}/events/rpc` as
 * NotifyStatus (and NotifyFullStatus on wake-up) with `params.ts`, Unix seconds, used as the time.
 * Status topics carry no time: the receive time is used.
 *
 * Which topics are Shelly's: with configured prefixes, only those (and a malformed payload there is
 * counted). Without, `+/status/+` and `+/events/rpc` are subscribed but a message is claimed only
 * when its prefix has Shelly's default form (`shellyhtg3-84fce63ad204`) or its payload has Shelly's
 * shape (`tC` in a temperature component, `src` + a Notify method in an RPC frame); anything else is
 * another format's and left to the next adapter.
 *
 * Device ids: `shelly/{prefix}` for component 0, `shelly/{prefix}/temperature:{id}` for others (the
 * add-on's probes are temperature:100 and up). Humidity arrives on its own topic: the last value
 * (if under HUMIDITY_MAX_AGE_MS old) goes with the next temperature of the same component id.
 */

const source = 'shelly'
const defaultPrefix = /^shelly[a-z0-9]*-[0-9a-f]{6,}$/i
const componentPattern = /^(temperature|humidity):(\d+)$/
const HUMIDITY_MAX_AGE_MS = 15 * 60_000

export interface ShellyOptions {
  /** Shelly MQTT topic prefixes (the device setting "MQTT prefix"); none means any, recognized by shape. */
  prefixes?: string[]
}

export function createShellyAdapter(options: ShellyOptions = {}): Adapter {
  const prefixes = options.prefixes ?? []
  const humidity = new HumidityMemory()

  const subscriptions: AdapterSubscription[] = (prefixes.length > 0 ? prefixes : ['+']).flatMap((prefix) => [
    { filter: `${prefix}/status/+`, shareable: true },
    { filter: `${prefix}/events/rpc`, shareable: true }
  ])

  function reading(prefix: string, id: string, time: number, celsius: number): Reading {
    const device = id === '0' ? prefix : `${prefix}/temperature:${id}`
    return adapterReading(source, device, time, celsius, { humidity: humidity.recent(prefix, id, time) })
  }

  function decodeStatus(prefix: string, component: string, payload: Buffer, known: boolean, receivedAt: number): AdapterResult {
    const match = componentPattern.exec(component)
    if (match === null) return known ? noReading : notMine
    const [, type, id] = match
    const body = parseJsonObject(payload)
    const shaped = typeof body !== 'string' && String(body.id) === id && (type === 'temperature' ? 'tC' in body : 'rh' in body)
    if (!shaped) {
      if (!known) return notMine
      return unrecognized(typeof body === 'string' ? body : `${component} without ${type === 'temperature' ? 'tC' : 'rh'}`)
    }
    if (type === 'humidity') return humidity.remember(prefix, id, body, receivedAt) ? noReading : unrecognized('rh is not a number')
    const celsius = componentCelsius(body)
    return celsius === undefined ? unrecognized('tC is not a number') : readings([reading(prefix, id, receivedAt, celsius)])
  }

  function decodeRpc(prefix: string, payload: Buffer, known: boolean, receivedAt: number): AdapterResult {
    const frame = parseJsonObject(payload)
    const shaped =
      typeof frame !== 'string' && typeof frame.src === 'string' && typeof frame.method === 'string' && frame.method.startsWith('Notify')
    if (!shaped) return known ? unrecognized(typeof frame === 'string' ? frame : 'not a Notify RPC frame') : notMine
    if (frame.method !== 'NotifyStatus' && frame.method !== 'NotifyFullStatus') return noReading
    if (!isJsonObject(frame.params)) return unrecognized(`${frame.method} without params`)
    const params = frame.params
    const seconds = finiteNumber(params.ts)
    const time = seconds !== undefined ? Math.round(seconds * 1000) : receivedAt
    const temperatures: Array<[string, JsonObject]> = []
    for (const [key, component] of Object.entries(params)) {
      const match = componentPattern.exec(key)
      if (match === null || !isJsonObject(component)) continue
      if (match[1] === 'humidity') humidity.remember(prefix, match[2], component, time)
      else if ('tC' in component || 'tF' in component) temperatures.push([match[2], component])
    }
    const out: Reading[] = []
    for (const [id, component] of temperatures) {
      const celsius = componentCelsius(component)
      if (celsius !== undefined) out.push(reading(prefix, id, time, celsius))
    }
    if (out.length > 0) return readings(out)
    // A notification about other components (a partial one has only what changed) carries no reading.
    return temperatures.length > 0 ? unrecognized('tC is not a number') : noReading
  }

  return {
    name: source,
    subscriptions,
    decode(topic, payload, receivedAt) {
      const parts = splitTopic(prefixes, topic)
      if (parts === undefined) return notMine
      const { prefix, rest, known } = parts
      if (rest === 'events/rpc') return decodeRpc(prefix, payload, known, receivedAt)
      if (rest.startsWith('status/') && !rest.includes('/', 7)) return decodeStatus(prefix, rest.slice(7), payload, known, receivedAt)
      return notMine
    }
  }
}

/** The prefix of a topic and the rest; `known` when the prefix is configured or has Shelly's default form. */
function splitTopic(prefixes: readonly string[], topic: string): { prefix: string; rest: string; known: boolean } | undefined {
  for (const prefix of prefixes) {
    if (topic.startsWith(`${prefix}/`)) return { prefix, rest: topic.slice(prefix.length + 1), known: true }
  }
  if (prefixes.length > 0) return undefined
  const slash = topic.indexOf('/')
  if (slash <= 0) return undefined
  const prefix = topic.slice(0, slash)
  return { prefix, rest: topic.slice(slash + 1), known: defaultPrefix.test(prefix) }
}

/** The last humidity of each device's component, to go with its next temperature while under HUMIDITY_MAX_AGE_MS old. */
class HumidityMemory {
  private readonly last = new Map<string, { rh: number; at: number }>()

  /** Keeps the component's `rh`; false when it has none that is a number. */
  remember(prefix: string, id: string, component: JsonObject, at: number): boolean {
    const rh = finiteNumber(component.rh)
    if (rh !== undefined) this.last.set(`${prefix}\n${id}`, { rh, at })
    return rh !== undefined
  }

  recent(prefix: string, id: string, now: number): number | undefined {
    const last = this.last.get(`${prefix}\n${id}`)
    return last !== undefined && now - last.at <= HUMIDITY_MAX_AGE_MS ? last.rh : undefined
  }
}

/** A temperature component's reading in °C: tC, or tF converted when only that is there. */
function componentCelsius(component: JsonObject): number | undefined {
  const celsius = finiteNumber(component.tC)
  if (celsius !== undefined) return celsius
  const fahrenheit = finiteNumber(component.tF)
  return fahrenheit === undefined ? undefined : toCelsius(fahrenheit, 'F')
}
