import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RequestHandler } from 'express'
import type { Logger } from 'pino'
import { collectDefaultMetrics } from 'prom-client'
import { type ApiToken, loadApiToken } from '../common/api-token.js'
import { closeOnSignals } from '../common/close-on-signals.js'
import { CommandError } from '../common/command-errors.js'
import { createLogger } from '../common/log.js'
import { isLoopback } from '../common/loopback.js'
import { adapterNames, createAdapters } from './adapters/index.js'
import { createApi } from './api/create-api.js'
import { BrokerAdminClient } from './broker-admin/broker-admin-client.js'
import type { HistoryStore } from './history/history-store.js'
import { describeHistory, openHistory } from './history-option.js'
import { InstanceRole } from './instance-role.js'
import { findRival, rivalMessage } from './peers/rival-check.js'
import { startRetention } from './retention-timer.js'
import { startService } from './service.js'
import { type ServiceSettings, serviceSettingsFrom } from './service-options.js'
import { DataDirLock } from './standby/data-dir-lock.js'
import { standbyApi } from './standby/standby-api.js'

/** `thermopost service`: reads its settings, opens the history, starts the core and serves the API (and the dashboard given to it). */

export const serviceUsage = `Usage: thermopost service [--url mqtt://HOST:PORT ...] [--http-port PORT] [--data-dir DIR] [--history SPEC] [options]

Runs the service in the foreground until SIGINT or SIGTERM: readings from the broker into the history, the
device registry, setpoint commands, alerts, and on one HTTP port the REST API, its live feed and the dashboard.
  --config FILE        a YAML file whose keys are these flags in snake_case (--http-port ↔ http_port); a flag
                       wins over the file; --url and --adapters take lists there
  --section NAME       read only that top-level key of the file (thermopost.yaml's 'service' section)
  --url URL            a broker (default mqtt://127.0.0.1:1883); repeat it for a list to fail over through
  --username U --password P
                       the MQTT login; the password may come from THERMOPOST_MQTT_PASSWORD instead
  --http-host HOST     the address the API listens on (default 127.0.0.1)
  --http-port PORT     its port (default 8080; 0 picks a free one, and the log line says which)
  --data-dir DIR       the API token file, the service's state (devices, commands) and by default the
                       history (default ./data)
  --history SPEC       sqlite:PATH (default: DIR/history.db) or influx://USER:PASS@HOST:PORT/DB (InfluxDB 1.x)
  --retention-raw T    how long raw readings are kept: 30d (default), 12h, 90m; 1-minute and 1-hour
                       rollups are kept longer
  --adapters LIST      the device formats to read, comma-separated; default all:
                       ${adapterNames.join(',')}
  --api-token TOKEN    the API's bearer token, at least 16 characters; better THERMOPOST_API_TOKEN, which the
                       process list does not show. Without either: DIR/api-token, generated on the first start
  --api-open           no token needed for the API (say, behind a proxy that authenticates); a warning is
                       logged when --http-host is not a loopback address
  --client-id ID       the MQTT client id (default thermopost-service): the broker session the readings
                       queue in. With --history influx://... give each instance its own: they all run
                       (active-active). With SQLite, instances on one --data-dir keep the same one: the
                       first holds the directory, the others wait as standbys and take over when it dies
  --webhook-url URL    alerts are also POSTed there as JSON when raised, acknowledged and cleared
  --sparkplug false    no Sparkplug B host application (by default the service is the primary host of the
                       spBv1.0 namespace, on a second connection: it reads edge nodes' births and data)
  --sparkplug-host-id ID
                       its host id, the last level of its STATE topic spBv1.0/STATE/ID (default thermopost)
  --broker-admin-url URL
                       the broker's admin listener (its --admin-port), e.g. http://127.0.0.1:9090: the
                       dashboard's Broker page lists and manages clients, sessions and retained messages
                       through the service, which holds the admin token (the browser never sees it)
  --broker-admin-token TOKEN
                       that listener's token; better THERMOPOST_BROKER_ADMIN_TOKEN, which the process list
                       does not show
  --broker-admin-token-file FILE
                       or a file holding it, read on each request (the broker's DIR/admin-token)

Alert rules are a list in the config file only:
  alerts:
    - { device: home/living-room, above: 30, for: 10m, severity: warning }
    - { device: '*', stale: true, for: 15m, severity: critical }   # below: 5 works as above does`

/** What the command serves beside the API, given by its caller (bin/thermopost.ts): the service does not import the dashboard. */
export interface ServiceCommandParts {
  /** Makes the dashboard's routes, mounted at `/`; called once the settings are read. */
  dashboard: () => RequestHandler
}

/**
 * `thermopost service`: with the SQLite history, first the data directory's lock (a second instance on the
 * same directory waits as a standby, serving only `/api/health` and `/api/instance`, and takes over when the
 * holder is gone); then the history store, the service core and the API. SIGINT / SIGTERM close them in reverse.
 */
export async function runServiceCommand(args: string[], parts: ServiceCommandParts): Promise<void> {
  const settings = await serviceSettingsFrom(args, process.env)
  if (settings === undefined) {
    console.log(serviceUsage)
    return
  }
  const logger = createLogger('service')
  const token =
    settings.apiOpen && settings.apiToken === undefined
      ? undefined
      : await loadApiToken(settings.dataDir, settings.apiToken).catch((error: unknown) => {
          throw new CommandError(`cannot read or write the API token: ${(error as Error).message}`)
        })
  const role = new InstanceRole(
    settings.clientId,
    settings.history.kind === 'sqlite' ? 'active-standby' : 'active-active',
    settings.dataDir
  )
  let handler: RequestListener = standbyApi(role, logger)
  const server = createServer((req, res) => handler(req, res))
  const standing = new AbortController()
  let lock: DataDirLock | undefined
  let running: RunningParts | undefined
  const closeAll = async (): Promise<void> => {
    standing.abort()
    // Event streams never end on their own: without closing them, server.close would wait for ever.
    server.close()
    server.closeAllConnections()
    await running?.close()
    lock?.release()
  }
  closeOnSignals(logger, () => closeAll())
  if (role.mode === 'active-standby') {
    lock = DataDirLock.tryAcquire(settings.dataDir)
    if (lock === undefined) {
      await listenOrClose(server, settings, closeAll)
      logStart(logger, server, settings, token, describeHistory(settings.history))
      lock = await waitAsStandby(settings.dataDir, role, logger, standing.signal)
      if (lock === undefined) return
    }
  }
  const rival = await findRival({ ...settings, self: role.instance })
  if (rival !== undefined) {
    await closeAll()
    throw new CommandError(rivalMessage(rival, role.instance))
  }
  role.becomeActive()
  lock?.announce(role.instance)
  running = await startParts(settings, token, role, logger, parts).catch(async (error: unknown) => {
    await closeAll()
    throw error
  })
  handler = running.app
  if (!server.listening) {
    await listenOrClose(server, settings, closeAll)
    logStart(logger, server, settings, token, describeHistory(settings.history))
  }
  logger.info({ role: role.status() }, `active (${role.mode})`)
}

interface RunningParts {
  app: RequestListener
  close(): Promise<void>
}

/** The history store, the service core, retention and the API app, closed in reverse by `close`. */
async function startParts(
  settings: ServiceSettings,
  token: ApiToken | undefined,
  role: InstanceRole,
  logger: Logger,
  parts: ServiceCommandParts
): Promise<RunningParts> {
  let history: HistoryStore
  try {
    history = await openHistory(settings.history, { retentionRaw: settings.retentionRawMs })
  } catch (error) {
    throw new CommandError(`cannot open the history (${describeHistory(settings.history)}): ${(error as Error).message}`)
  }
  const service = await startService({
    urls: settings.urls,
    username: settings.username,
    password: settings.password,
    dataDir: settings.dataDir,
    history,
    adapters: createAdapters(settings.adapters),
    clientId: settings.clientId,
    alertRules: settings.alertRules,
    ...(settings.webhookUrl === undefined ? {} : { webhookUrl: settings.webhookUrl }),
    ...(settings.sparkplugHostId === undefined ? {} : { sparkplug: { hostId: settings.sparkplugHostId } }),
    instance: role.instance,
    logger
  }).catch(async (error: unknown) => {
    await history.close()
    throw error
  })
  role.peers = service.peers
  role.sparkplugHost = service.sparkplugHost
  // The process's own figures (CPU, memory, event loop, GC) beside the service's, under their usual names.
  collectDefaultMetrics({ register: service.metrics.registry })
  const stopRetention = startRetention(history, logger)
  const { devices, commands, alerts, broker, live } = service
  const app = createApi({
    devices,
    commands,
    alerts,
    broker,
    live,
    history,
    instance: role,
    ...(settings.brokerAdmin === undefined ? {} : { brokerAdmin: new BrokerAdminClient(settings.brokerAdmin) }),
    auth: { token: token?.token, open: settings.apiOpen },
    metrics: service.metrics,
    metricsOpen: settings.apiOpen || isLoopback(settings.httpHost),
    logger,
    dashboard: parts.dashboard()
  })
  return {
    app,
    async close() {
      await service.close()
      stopRetention()
      await history.close()
    }
  }
}

/** Waits for the data directory's lock, saying who holds it; undefined when asked to stop meanwhile. */
async function waitAsStandby(dataDir: string, role: InstanceRole, logger: Logger, signal: AbortSignal): Promise<DataDirLock | undefined> {
  try {
    const lock = await DataDirLock.acquire(dataDir, {
      pollMs: STANDBY_POLL_MS,
      signal,
      onHolder: (active) => {
        role.active = active
        logger.info(
          { active, dataDir },
          `standby: ${active === undefined ? 'another instance' : `${active.host} pid ${active.pid}`} holds ${dataDir}; taking over when it is gone (for two active instances use --history influx://...)`
        )
        if (active !== undefined && active.clientId !== role.instance.clientId)
          logger.warn(
            { active: active.clientId, standby: role.instance.clientId },
            'the active instance has another --client-id: after a takeover the readings queued in its session wait for it; give both the same'
          )
      }
    })
    logger.info({ previous: role.active, dataDir }, `taking over ${dataDir}: the active instance is gone`)
    return lock
  } catch (error) {
    if (signal.aborted) return undefined
    throw error
  }
}

/** How often a standby tries the data directory's lock: the most a takeover waits after the holder died, ms. */
const STANDBY_POLL_MS = 500

async function listenOrClose(server: Server, settings: ServiceSettings, closeAll: () => Promise<void>): Promise<void> {
  try {
    await listen(server, settings)
  } catch (error) {
    await closeAll()
    throw error
  }
}

async function listen(server: Server, { httpHost, httpPort }: ServiceSettings): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(httpPort, httpHost, () => {
      server.off('error', reject)
      resolve()
    })
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
      throw new CommandError(`cannot listen on ${httpHost}:${httpPort}: ${error.message}`)
    }
    throw error
  })
}

/** The URL (the line `thermopost start` waits for), how the API is protected, and where the history is. */
function logStart(logger: Logger, server: Server, settings: ServiceSettings, token: ApiToken | undefined, history: string): void {
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const access =
    token === undefined
      ? 'API open: no token needed'
      : token.file === undefined
        ? 'API token as given'
        : `API token ${token.generated ? 'generated into' : 'from'} ${token.file}`
  logger.info(
    { port: address.port, history, brokers: settings.urls },
    `listening on http://${host}:${address.port} (dashboard at /, API at /api, Prometheus metrics at /metrics; ${access})`
  )
  if (token?.exposed === true) logger.warn({ file: token.file }, `${token.file} can be read by other users: chmod 600 it`)
  if (settings.apiOpen && !isLoopback(settings.httpHost)) {
    logger.warn({ host: settings.httpHost }, `the API is open (no token) on ${settings.httpHost}, which other machines can reach`)
  }
}
