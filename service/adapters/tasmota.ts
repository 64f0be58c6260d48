import type { Reading } from '../reading.js'
import { type Adapter, type AdapterResult, noReading, notMine, readings, unrecognized } from './adapter.js'
import { adapterReading, adapterStatus } from './adapter-reading.js'
import { finiteNumber, isJsonObject, parseJsonObject, zonedTime } from './payload-values.js'
import { toCelsius } from './temperature-unit.js'

/**
 * Tasmota: telemetry on `tele/{topic}/SENSOR`, one JSON object with a block per sensor
 * (`"DS18B20-1":{"Id":"…","Temperature":21.3}`, `"AM2301":{"Temperature":…,"Humidity":…}`) and
 * `TempUnit` ('C' or 'F') for all of them; `tele/{topic}/LWT` says Online / Offline (retained).
 *
 * Device ids: `tasmota/{topic}` when the message has one temperature block, `tasmota/{topic}/{block}`
 * for each when it has several (Tasmota itself numbers DS18B20 probes only when there are several).
 *
 * Time: Tasmota's `Time` is the device's local time without a zone, so the receive time is used,
 * unless `SetOption52` adds the zone offset to `Time`; then that time is used.
 */

const source = 'tasmota'

// Blocks whose Temperature is the chip's own, not the room's.
const chipBlocks = /^ESP(?:32|8266)$/

export function createTasmotaAdapter(): Adapter {
  return {
    name: source,
    subscriptions: [
      { filter: 'tele/+/SENSOR', shareable: true },
      { filter: 'tele/+/LWT', shareable: false }
    ],
    decode(topic, payload, receivedAt) {
      const levels = topic.split('/')
      if (levels.length !== 3 || levels[0] !== 'tele') return notMine
      if (levels[2] === 'SENSOR') return decodeSensor(levels[1], payload, receivedAt)
      if (levels[2] === 'LWT') return decodeLwt(levels[1], payload, receivedAt)
      return notMine
    }
  }
}

function decodeSensor(name: string, payload: Buffer, receivedAt: number): AdapterResult {
  const message = parseJsonObject(payload)
  if (typeof message === 'string') return unrecognized(message)
  const unit = message.TempUnit ?? 'C'
  if (unit !== 'C' && unit !== 'F') return unrecognized(`TempUnit ${JSON.stringify(unit)} is neither C nor F`)
  const blocks = Object.entries(message).filter(([key, block]) => !chipBlocks.test(key) && isJsonObject(block) && 'Temperature' in block)
  if (blocks.length === 0) return noReading
  const time = zonedTime(message.Time) ?? receivedAt
  const out: Reading[] = []
  const problems: string[] = []
  for (const [key, block] of blocks as Array<[string, Record<string, unknown>]>) {
    const degrees = finiteNumber(block.Temperature)
    if (degrees === undefined) {
      problems.push(`${key}.Temperature is not a number`)
      continue
    }
    const device = blocks.length === 1 ? name : `${name}/${key}`
    out.push(adapterReading(source, device, time, toCelsius(degrees, unit)!, { humidity: finiteNumber(block.Humidity) }))
  }
  // A probe that failed its read does not hide the others.
  return out.length > 0 ? readings(out) : unrecognized(problems.join('; '))
}

function decodeLwt(name: string, payload: Buffer, receivedAt: number): AdapterResult {
  const state = payload.toString('utf8')
  if (state !== 'Online' && state !== 'Offline')
    return unrecognized(`LWT ${JSON.stringify(state.slice(0, 40))} is neither Online nor Offline`)
  return { kind: 'status', status: adapterStatus(source, name, state === 'Online', state, receivedAt) }
}
