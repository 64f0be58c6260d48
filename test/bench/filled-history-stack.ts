import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import mqtt from 'mqtt'
import { pino } from 'pino'
import { encodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { dashboardRouter } from '../../dashboard/dashboard-router.js'
import { createApi } from '../../service/api/create-api.js'
import { alignDown } from '../../service/history/history-store.js'
import { SqliteHistoryStore } from '../../service/history/sqlite.js'
import type { Reading } from '../../service/reading.js'
import { startService } from '../../service/service.js'
import { startBroker } from '../helpers/broker.js'

export interface FilledHistoryOptions {
  /** Devices, `bench/d00` … ; the first reports every `detailInterval`, the others every `interval`. */
  devices: number
  days: number
  /** Seconds. */
  detailInterval: number
  interval: number
}

export interface FilledHistoryStack {
  /** http://127.0.0.1:PORT/ : the dashboard, and the API under /api. */
  url: string
  deviceIds: string[]
  /** The end of the history (a whole minute, just before start-up); it begins `days` earlier. */
  end: number
  /** Readings written before start-up. */
  readings: number
  close(): Promise<void>
}

const SITE = 'bench'
const FILL_BATCH = 5000
const REGISTRY_TIMEOUT_MS = 10_000

/**
 * A running service with history to show: `days` of readings for each device written straight into its SQLite
 * history, then the service (on an in-process broker) with the REST API and the dashboard as `thermopost service`
 * mounts them, open (no token). Each device then publishes one reading through the broker, so the service's
 * registry knows it as a running service would.
 */
export async function startFilledHistoryStack(options: FilledHistoryOptions): Promise<FilledHistoryStack> {
  const stops: Array<() => Promise<void>> = []
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop()
  }
  try {
    const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-bench-stack-'))
    stops.push(async () => rmSync(dataDir, { recursive: true, force: true }))
    const deviceIds = Array.from({ length: options.devices }, (_, index) => `${SITE}/${deviceName(index)}`)
    const end = alignDown(Date.now(), 60_000)
    // 'normal': filling is set-up, not the measurement, and the API reads the same either way.
    const history = new SqliteHistoryStore({ path: join(dataDir, 'history.db'), synchronous: 'normal' })
    stops.push(() => history.close())
    const readings = await fill(history, options, end)
    const broker = await startBroker()
    stops.push(() => broker.close())
    const logger = pino({ level: 'warn' })
    const service = await startService({ urls: [broker.url], dataDir, history, logger })
    stops.push(() => service.close())
    await service.ready
    const server = createApi({ ...service, auth: { open: true }, logger, dashboard: dashboardRouter() }).listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        })
    )
    await announce(broker.url, options.devices)
    const deadline = Date.now() + REGISTRY_TIMEOUT_MS
    while (service.devices.list().length < options.devices) {
      if (Date.now() > deadline)
        throw new Error(`the service knew ${service.devices.list().length} of ${options.devices} devices after ${REGISTRY_TIMEOUT_MS} ms`)
      await sleep(50)
    }
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, deviceIds, end, readings, close }
  } catch (error) {
    await close()
    throw error
  }
}

function deviceName(index: number): string {
  return `d${String(index).padStart(2, '0')}`
}

/** Each device's days, oldest first, a gentle daily swing around 20 °C; returns how many readings. */
async function fill(history: SqliteHistoryStore, options: FilledHistoryOptions, end: number): Promise<number> {
  const start = end - options.days * 86_400_000
  let total = 0
  for (let index = 0; index < options.devices; index++) {
    const step = (index === 0 ? options.detailInterval : options.interval) * 1000
    let batch: Reading[] = []
    for (let time = start; time < end; time += step) {
      const temperature = 20 + 2 * Math.sin((time / 86_400_000) * 2 * Math.PI + index) + (index % 7) / 10
      batch.push({
        deviceId: `${SITE}/${deviceName(index)}`,
        site: SITE,
        device: deviceName(index),
        source: 'thermopost',
        time,
        temperature,
        setpoint: 21
      })
      if (batch.length === FILL_BATCH) {
        await history.write(batch)
        total += batch.length
        batch = []
      }
    }
    await history.write(batch)
    total += batch.length
  }
  return total
}

/** One current reading from each device, QoS 1, through the broker. */
async function announce(url: string, devices: number): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: 'bench-announce', protocolVersion: 5 })
  try {
    await Promise.all(
      Array.from({ length: devices }, (_, index) =>
        client.publishAsync(
          deviceTopic(SITE, deviceName(index), 'reading'),
          encodeReading({ time: Date.now(), temperature: 20, setpoint: 21 }, 'json'),
          { qos: 1 }
        )
      )
    )
  } finally {
    await client.endAsync()
  }
}
