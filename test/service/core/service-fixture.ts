import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { encodeMeta } from '../../../common/contract/meta.js'
import { encodeReading } from '../../../common/contract/reading-codec.js'
import type { ReadingMessage } from '../../../common/contract/reading-message.js'
import { deviceTopic } from '../../../common/contract/topics.js'
import type { HistoryStore } from '../../../service/history/history-store.js'
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'
import type { Reading } from '../../../service/reading.js'
import { type RunningService, type ServiceOptions, startService } from '../../../service/service.js'
import { type RunningBroker, startBroker } from '../../helpers/broker.js'

/** Services, history stores and raw 'devices' for the service tests, each closed after its test. */

export const silentLogger = pino({ level: 'silent' })

/** A fresh temporary data directory, removed after the test. */
export function tempDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-service-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A real SQLite history in `dataDir` that remembers every write call, closed after the test. */
export function recordingHistory(t: TestContext, dataDir: string): RecordingHistory {
  const store = new RecordingHistory(new SqliteHistoryStore({ path: join(dataDir, 'history.db'), synchronous: 'normal' }))
  t.after(() => store.close())
  return store
}

/** Wraps a history store: counts what it was given and can hold each write until `release`. */
export class RecordingHistory implements HistoryStore {
  readonly batches: Reading[][] = []
  /** While set, each write waits this long before it goes to the store. */
  delayMs = 0
  /** While true, writes never finish (a store that hangs). */
  hang = false

  constructor(private readonly inner: HistoryStore) {}

  get readings(): Reading[] {
    return this.batches.flat()
  }

  async write(readings: readonly Reading[]): Promise<void> {
    this.batches.push([...readings])
    if (this.hang) return await new Promise(() => {})
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs))
    await this.inner.write(readings)
  }

  query: HistoryStore['query'] = async (query) => await this.inner.query(query)
  exportCsv: HistoryStore['exportCsv'] = (...args) => this.inner.exportCsv(...args)
  applyRetention: HistoryStore['applyRetention'] = async (now) => await this.inner.applyRetention(now)
  close: HistoryStore['close'] = async () => await this.inner.close()
}

export type TestServiceOptions = Partial<ServiceOptions> & { urls: readonly string[]; dataDir: string; history: HistoryStore }

/** A started, subscribed service with short timers; closed after the test unless `close` was called first. */
export async function startTestService(t: TestContext, options: TestServiceOptions): Promise<RunningService> {
  const service = await startService({
    logger: silentLogger,
    clientId: `service-${Math.random().toString(36).slice(2, 8)}`,
    ...options,
    timing: { sweepMs: 50, commandTickMs: 20, alertCheckMs: 20, brokerThrottleMs: 50, closeTimeoutMs: 1000, ...options.timing }
  })
  let closed = false
  const close = service.close
  service.close = async () => {
    if (closed) return
    closed = true
    await close()
  }
  t.after(() => service.close())
  await service.ready
  return service
}

/**
 * An active-active instance in this process, on a data directory and a history of its own (each write held
 * `delayMs`); `options` adds to or overrides the rest.
 */
export async function startPeer(
  t: TestContext,
  url: string,
  clientId: string,
  { delayMs = 0, ...options }: Partial<ServiceOptions> & { delayMs?: number } = {}
): Promise<RunningService> {
  const dataDir = tempDataDir(t)
  const history = recordingHistory(t, dataDir)
  history.delayMs = delayMs
  return await startTestService(t, {
    urls: [url],
    dataDir,
    history,
    clientId,
    instance: { clientId, mode: 'active-active', host: 'test', dataDir, pid: process.pid, since: Date.now() },
    ...options
  })
}

export interface ServiceSetup {
  running: RunningBroker
  dataDir: string
  history: RecordingHistory
  /** A service on that broker, data directory and history; `options` adds to or overrides them. */
  start(options?: Partial<ServiceOptions>): Promise<RunningService>
}

/** What most service tests start from: a broker, a data directory and a recording history, each gone after the test. */
export async function serviceSetup(t: TestContext): Promise<ServiceSetup> {
  const running = await startBroker()
  t.after(() => running.close())
  const dataDir = tempDataDir(t)
  const history = recordingHistory(t, dataDir)
  return { running, dataDir, history, start: (options = {}) => startTestService(t, { urls: [running.url], dataDir, history, ...options }) }
}

/** A bare mqtt.js 'device' with the contract's will, for behaviour a simulated thermostat does not have. */
export class RawDevice {
  readonly client: MqttClient

  constructor(
    url: string,
    readonly site: string,
    readonly device: string
  ) {
    this.client = mqtt.connect(url, {
      protocolVersion: 5,
      clientId: `raw-${site}-${device}`,
      reconnectPeriod: 0,
      will: { topic: deviceTopic(site, device, 'status'), payload: Buffer.from('offline'), qos: 1, retain: true }
    })
  }

  get id(): string {
    return `${this.site}/${this.device}`
  }

  static async connect(t: TestContext, url: string, site: string, device: string): Promise<RawDevice> {
    const raw = new RawDevice(url, site, device)
    t.after(() => raw.client.endAsync(true))
    await new Promise<void>((resolve, reject) => {
      raw.client.once('connect', () => resolve())
      raw.client.once('error', reject)
    })
    await raw.client.publishAsync(deviceTopic(site, device, 'status'), 'online', { qos: 1, retain: true })
    return raw
  }

  async meta(interval: number): Promise<void> {
    await this.client.publishAsync(
      deviceTopic(this.site, this.device, 'meta'),
      encodeMeta({ model: 'raw', firmware: '0', unit: '°C', interval }),
      { qos: 1, retain: true }
    )
  }

  async reading(message: Partial<ReadingMessage> & { temperature: number }): Promise<void> {
    await this.client.publishAsync(
      deviceTopic(this.site, this.device, 'reading'),
      encodeReading({ time: Date.now(), ...message }, 'json'),
      { qos: 1 }
    )
  }

  /** Goes away without DISCONNECT, as a crash or a cut cable would: the broker publishes the will. */
  kill(): void {
    this.client.stream.destroy()
  }
}
