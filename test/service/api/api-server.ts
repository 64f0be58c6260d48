import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type ApiDeps, createApi } from '../../../service/api/create-api.js'
import { SqliteHistoryStore } from '../../../service/history/sqlite.js'
import { type LogLine, recordingLogger } from '../adapters/recording-logger.js'
import { device, FakeAlerts, FakeBroker, FakeCommands, FakeDevices, FakeLive, T0 } from './api-fakes.js'

export const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv'

export interface ApiServer {
  /** http://127.0.0.1:PORT */
  url: string
  devices: FakeDevices
  commands: FakeCommands
  alerts: FakeAlerts
  broker: FakeBroker
  live: FakeLive
  history: SqliteHistoryStore
  /** What the API logged, parsed. */
  logs: LogLine[]
  /** fetch with the bearer token; `path` starts with /api. */
  get(path: string, init?: RequestInit): Promise<Response>
  post(path: string, body: unknown, init?: RequestInit): Promise<Response>
}

/**
 * The API on a free loopback port over fakes of the service core and a real SQLite history in a temporary
 * directory: two devices (home/living-room online, lab/freezer offline) and two alerts. Closed after the test.
 */
export async function startApi(t: TestContext, overrides: Partial<ApiDeps> = {}): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-api-'))
  const history = new SqliteHistoryStore({ path: join(dir, 'history.db'), synchronous: 'normal' })
  const devices = new FakeDevices([
    device('home', 'living-room', { meta: { model: 'TP-100', firmware: '1.0.0', unit: '°C', interval: 5 } }),
    device('lab', 'freezer', { state: 'offline', source: 'tasmota' })
  ])
  const commands = new FakeCommands(devices)
  const alerts = new FakeAlerts([
    {
      id: 'a1',
      ruleId: 'hot',
      deviceId: 'home/living-room',
      severity: 'warning',
      state: 'raised',
      message: 'above 30 °C for 10 min',
      raisedAt: T0
    },
    {
      id: 'a2',
      ruleId: 'stale',
      deviceId: 'lab/freezer',
      severity: 'critical',
      state: 'cleared',
      message: 'silent for 15 min',
      raisedAt: T0 - 5000,
      clearedAt: T0
    }
  ])
  const broker = new FakeBroker({ clientsConnected: 3, version: 'thermopost 0.1.0', updatedAt: T0 })
  const live = new FakeLive()
  const { logger, lines } = recordingLogger()
  const app = createApi({ devices, commands, alerts, broker, live, history, logger, auth: { token: TOKEN }, now: () => T0, ...overrides })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  t.after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await history.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const withToken = (init: RequestInit = {}): RequestInit => ({ ...init, headers: { authorization: `Bearer ${TOKEN}`, ...init.headers } })
  return {
    url,
    devices,
    commands,
    alerts,
    broker,
    live,
    history,
    logs: lines,
    get: (path, init) => fetch(url + path, withToken(init)),
    post: (path, body, init) =>
      fetch(
        url + path,
        withToken({
          method: 'POST',
          body: typeof body === 'string' ? body : JSON.stringify(body),
          ...init,
          headers: { 'content-type': 'application/json', ...init?.headers }
        })
      )
  }
}

/** The body of an error answer, checked to have the API's shape. */
export async function errorOf(response: Response): Promise<{ status: number; code: string; message: string; field?: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } }
  return { status: response.status, ...body.error }
}
