import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { pino } from 'pino'
import { dashboardRouter } from '../../dashboard/dashboard-router.js'
import { Simulator } from '../../devices/simulator.js'
import type { AlertRule } from '../../service/alerts/alert-rule.js'
import { createApi } from '../../service/api/create-api.js'
import { BrokerAdminClient } from '../../service/broker-admin/broker-admin-client.js'
import { SqliteHistoryStore } from '../../service/history/sqlite.js'
import { type RunningService, startService } from '../../service/service.js'
import { ADMIN_TOKEN, startAdminListener } from '../helpers/admin-broker.js'
import { type RunningBroker, startBroker } from '../helpers/broker.js'

export interface DashboardStack {
  /** The dashboard's page: http://127.0.0.1:PORT/ */
  url: string
  service: RunningService
  broker: RunningBroker
  simulator: Simulator
  /** The simulated thermostats' ids, sorted. */
  deviceIds: string[]
}

export interface DashboardStackOptions {
  devices: number
  /** The simulated rooms' physics runs this many times faster than the wall clock. */
  timeScale: number
  /** The API token; absent: the API is open. */
  token?: string
  alertRules?: AlertRule[]
  /** Open the broker's admin listener and relay it under /api/broker/, as `thermopost start` does (the Broker page). */
  brokerAdmin?: boolean
}

/**
 * The real thing, in process: our broker ($SYS every second), the service core on SQLite with the REST API and
 * the dashboard router mounted as `thermopost service` mounts them, and simulated thermostats reporting twice a
 * second. After the test everything stops in the reverse order it started (t.after hooks run first-in, first-out).
 */
export async function startDashboardStack(t: TestContext, options: DashboardStackOptions): Promise<DashboardStack> {
  const stops: Array<() => Promise<void>> = []
  t.after(async () => {
    for (const stop of stops.reverse()) await stop()
  })
  const dataDir = await mkdtemp(join(tmpdir(), 'thermopost-dashboard-'))
  stops.push(() => rm(dataDir, { recursive: true, force: true }))
  const broker = await startBroker({ sysInterval: 1 })
  stops.push(() => broker.close())
  const history = new SqliteHistoryStore({ path: join(dataDir, 'history.db') })
  stops.push(() => history.close())
  const logger = pino({ level: 'silent' })
  const service = await startService({
    urls: [broker.url],
    dataDir,
    history,
    logger,
    timing: { brokerThrottleMs: 200, alertCheckMs: 100 },
    alertRules: options.alertRules ?? []
  })
  stops.push(() => service.close())
  await service.ready
  let brokerAdmin: BrokerAdminClient | undefined
  if (options.brokerAdmin === true) {
    const admin = await startAdminListener(broker.broker)
    stops.push(() => admin.close())
    brokerAdmin = new BrokerAdminClient({ url: `http://127.0.0.1:${admin.address.port}`, token: ADMIN_TOKEN })
  }
  const app = createApi({
    ...service,
    ...(brokerAdmin === undefined ? {} : { brokerAdmin }),
    auth: options.token === undefined ? { open: true } : { token: options.token },
    logger,
    dashboard: dashboardRouter()
  })
  const server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject))
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  )
  const simulator = new Simulator({
    urls: [broker.url],
    devices: options.devices,
    sites: 2,
    interval: 0.5,
    timeScale: options.timeScale,
    mqttVersion: 5,
    format: 'json',
    flaky: 0,
    homeAssistant: false,
    seed: 8
  })
  stops.push(() => simulator.stop())
  await simulator.start()
  const deviceIds = simulator.thermostats.map((thermostat) => `${thermostat.site}/${thermostat.device}`).sort()
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, service, broker, simulator, deviceIds }
}
