import type { Logger } from 'pino'
import { ContractError } from '../common/contract/contract-error.js'
import { decodeMeta } from '../common/contract/meta.js'
import { parseDeviceTopic, TOPIC_ROOT } from '../common/contract/topics.js'
import type { Adapter } from './adapters/adapter.js'
import { AdapterDispatcher } from './adapters/adapter-dispatcher.js'
import { createAdapters } from './adapters/index.js'
import { UnrecognizedPayloads } from './adapters/unrecognized-payloads.js'
import { alertParts } from './alert-parts.js'
import type { AlertMonitor } from './alerts/alert-monitor.js'
import type { AlertRule } from './alerts/alert-rule.js'
import type { CommandRecord, InstanceInfo, LiveEvent, PeerStatus } from './api/api-types.js'
import type { ServiceParts } from './api/service-parts.js'
import { SYS_FILTER, SysWatch } from './broker/sys-watch.js'
import { CommandLog } from './commands/command-log.js'
import { CommandTracker, type SetpointWriter } from './commands/command-tracker.js'
import type { HistoryStore } from './history/history-store.js'
import { Ingest, type IngestOptions, type IngestRoute } from './ingest/ingest.js'
import type { ReadingBatcherOptions } from './ingest/reading-batcher.js'
import { type IncomingMessage, type MessageHandler, ServiceLink } from './ingest/service-link.js'
import { LiveHub } from './live/live-hub.js'
import { ServiceMetrics } from './metrics/service-metrics.js'
import { LeadTurn } from './peers/lead-turn.js'
import { PeerSessions } from './peers/peer-sessions.js'
import { SharedAlerts } from './peers/shared-alerts.js'
import { SharedState } from './peers/shared-state.js'
import { DeviceRegistry } from './registry/device-registry.js'
import { DeviceRows } from './registry/device-rows.js'
import { SparkplugHost } from './sparkplug/sparkplug-host.js'
import { SparkplugHostSeat } from './sparkplug/sparkplug-host-seat.js'
import { openStateDb } from './state/state-db.js'

/** The service's core, started and stopped as one (startService): the parts on its one MQTT link, wired together. */

export interface ServiceOptions {
  /** Broker URLs (mqtt:// or mqtts://), tried in turn on each reconnect. */
  urls: readonly string[]
  username?: string
  password?: string
  /** Holds service-state.db: the devices seen and the command history. */
  dataDir: string
  /** Owned by the caller: `close` leaves it open. */
  history: HistoryStore
  /** createAdapters() (all of them) by default. */
  adapters?: readonly Adapter[]
  /** Stable across restarts, so the broker keeps the session; distinct per instance. 'thermopost-service' by default. */
  clientId?: string
  /** The shared subscription group instances split readings through; 'service' by default. */
  shareGroup?: string
  /** How long the broker keeps the session and queues readings while the service is down, s; a day by default. */
  sessionExpirySeconds?: number
  alertRules?: readonly AlertRule[]
  webhookUrl?: string
  webhookTimeoutMs?: number
  staleAfterIntervals?: number
  /** The reporting interval of devices that publish no meta, s; 60 by default. */
  defaultIntervalSeconds?: number
  commandTimeoutMs?: number
  commandExpirySeconds?: number
  /** At most one automatic re-send of a desired setpoint per device per this long, ms; 5 min by default. */
  resendCooldownMs?: number
  logger: Logger
  /**
   * This instance, announced to the others on the broker (so that an instance that would split the readings
   * with it refuses to start: peers/rival-check.ts). Active-active (a history the instances share, InfluxDB):
   * each also shares the last readings and command changes it makes (peers/shared-state.ts) and adopts a dead
   * one's broker session (peers/peer-sessions.ts). Absent: nothing is announced (tests of one instance).
   */
  instance?: InstanceInfo
  /** Timer periods and batch sizes; the defaults suit production, tests shorten them. */
  timing?: ServiceTiming
  /** Runs a Sparkplug B primary host application with this host id beside the main link; absent: none. */
  sparkplug?: { hostId: string; reorderTimeoutMs?: number }
}

export interface ServiceTiming {
  batch?: ReadingBatcherOptions
  /** Registry staleness check, ms. */
  sweepMs?: number
  /** Registry write-back to the state database, ms. */
  persistMs?: number
  /** Command timeout/expiry check, ms. */
  commandTickMs?: number
  /** Alert duration/staleness check, ms. */
  alertCheckMs?: number
  /** At most one `broker` live event per this long, ms. */
  brokerThrottleMs?: number
  /** Log line of unreadable payloads at most this often, ms. */
  unrecognizedLogMs?: number
  /** What close waits for the last batch to be stored, ms. */
  closeTimeoutMs?: number
}

export interface RunningService extends ServiceParts {
  /** Its Prometheus metrics (the command serves them at `/metrics`). */
  metrics: ServiceMetrics
  /** Payloads no adapter could read, counted per adapter and reason. */
  unrecognized: UnrecognizedPayloads
  /** Active-active: the other instances as they last announced themselves. */
  peers?: () => PeerStatus[]
  /** With a Sparkplug host id: whether this instance runs the primary host application now. */
  sparkplugHost?: () => boolean
  /** Resolves once the first subscriptions are in place; the service also runs (and retries) without a broker. */
  ready: Promise<void>
  /** Stores and acknowledges what is queued, disconnects (the broker keeps the session), stops every timer. */
  close(): Promise<void>
}

/**
 * The service's core on one MQTT connection: ingest (adapters, batched history writes, acks after storing),
 * the device registry, setpoint commands, alerts, the broker's $SYS figures and the live feed. The REST API
 * and the `thermopost service` command sit on top of what this returns.
 */
export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { logger, timing = {} } = options
  // The one MQTT link comes first: commands and alerts publish through it; ingest connects it last, once the
  // parts its routes hand messages to exist.
  // Each (re)connect: the alert leader shares its alerts again, whatever the broker missed or lost meanwhile.
  const link = serviceLink(options, () => alerts.shareAll())
  // Adoption starts from a message ingest brought, so ingest exists by then.
  const { shared, sharedAlerts, peers, turn } = peerParts(options, link, (message, deferAck) => ingest.receive(message, deferAck))
  const adapters = options.adapters ?? createAdapters()
  const { live, metrics, emit } = eventSinks(logger)
  const db = openStateDb(options.dataDir)
  const registry = new DeviceRegistry({
    emit,
    rows: new DeviceRows(db),
    staleAfterIntervals: options.staleAfterIntervals,
    defaultIntervalSeconds: options.defaultIntervalSeconds,
    sweepMs: timing.sweepMs,
    persistMs: timing.persistMs
  })
  const commands = new CommandTracker({
    link,
    devices: registry,
    log: new CommandLog(db),
    emit,
    logger,
    timeoutMs: options.commandTimeoutMs,
    expirySeconds: options.commandExpirySeconds,
    resendCooldownMs: options.resendCooldownMs,
    tickMs: timing.commandTickMs,
    ...(shared === undefined ? {} : { share: (record: CommandRecord) => shared.shareCommand(record) }),
    ...(options.sparkplug === undefined ? {} : { sparkplug: lateWriter(() => sparkplug) })
  })
  registry.onStateChange((device) => commands.deviceStateChanged(device))
  const { alerts, webhook, leadership } = alertParts(options, { link, emit, registry, db, sharedAlerts, turn, adapters })
  metrics.watch({ devices: registry, alerts })
  const broker = new SysWatch({ emit, throttleMs: timing.brokerThrottleMs })
  const unrecognized = new UnrecognizedPayloads(logger, { intervalMs: timing.unrecognizedLogMs })
  const peerRoutes = [
    ...(shared?.routes({ registry, commands }) ?? []),
    ...(sharedAlerts?.routes(alerts) ?? []),
    ...(peers === undefined ? [] : [peers.route()])
  ]
  const readers = { registry, commands, alerts: leadership === undefined ? alerts : undefined, broker, unrecognized, metrics, shared }
  const handlers = ingestHandlers(readers, peerRoutes)
  const ingest: Ingest = new Ingest({
    link,
    shareGroup: options.shareGroup,
    dispatcher: new AdapterDispatcher(adapters, unrecognized),
    unrecognized,
    unrecognizedFlushMs: timing.unrecognizedLogMs,
    history: options.history,
    batch: timing.batch,
    closeTimeoutMs: timing.closeTimeoutMs,
    ...handlers,
    logger
  })
  const hostAlerts = leadership === undefined ? undefined : alerts
  const sparkplug = sparkplugHost(options, { handlers, ingest, registry, commands, unrecognized, alerts: hostAlerts }, turn)
  return {
    metrics,
    devices: registry,
    commands,
    alerts,
    broker,
    live,
    history: options.history,
    unrecognized,
    ...(peers === undefined ? {} : { peers: () => peers.list() }),
    ...(sparkplug === undefined ? {} : { sparkplugHost: () => sparkplug.running }),
    ready: Promise.all([link.ready, sparkplug?.ready]).then(() => {}),
    async close() {
      turn?.close()
      await sparkplug?.close()
      await ingest.close()
      await leadership?.close()
      await peers?.close()
      await link.close()
      commands.close()
      alerts.close()
      broker.close()
      registry.close()
      await webhook?.close()
      db.close()
    }
  }
}

/** The live feed, the metrics, and the one `emit` every part tells its changes: the metrics count them, then the feed takes them. */
function eventSinks(logger: Logger): { live: LiveHub; metrics: ServiceMetrics; emit: (event: LiveEvent) => void } {
  const live = new LiveHub(logger)
  const metrics = new ServiceMetrics()
  const emit = (event: LiveEvent): void => {
    metrics.observe(event)
    live.emit(event)
  }
  return { live, metrics, emit }
}

/** The service's main MQTT link, not yet connected. */
function serviceLink(options: ServiceOptions, onConnect: () => void): ServiceLink {
  return new ServiceLink({
    onConnect,
    urls: options.urls,
    clientId: options.clientId ?? 'thermopost-service',
    username: options.username,
    password: options.password,
    sessionExpirySeconds: options.sessionExpirySeconds,
    logger: options.logger,
    ...(options.instance === undefined ? {} : { presence: PeerSessions.presenceOf(options.instance) })
  })
}

/**
 * Active-active's parts: what this instance shares, the watch over the others' sessions, and the turn that has
 * the alert rules and the Sparkplug host run on the leader alone.
 */
function peerParts(
  options: ServiceOptions,
  link: ServiceLink,
  receive: MessageHandler
): { shared?: SharedState; sharedAlerts?: SharedAlerts; peers?: PeerSessions; turn?: LeadTurn } {
  const self = options.instance
  if (self?.mode !== 'active-active') return {}
  const { urls, username, password, sessionExpirySeconds, logger } = options
  const peers = new PeerSessions({ self, connect: { urls, username, password, sessionExpirySeconds }, link, receive, logger })
  return {
    shared: new SharedState(link, logger),
    sharedAlerts: new SharedAlerts(link, logger),
    peers,
    turn: new LeadTurn({ peers, subscribed: link.ready })
  }
}

/** The Sparkplug host's seat as the command tracker's setpoint writer: the seat is made once ingest, which stores its readings, exists. */
function lateWriter(seat: () => SparkplugHostSeat | undefined): SetpointWriter {
  return {
    writeSetpoint: async (...write) => await seat()?.writeSetpoint(...write),
    writesForOthers: () => seat()?.writesForOthers() === true
  }
}

/**
 * The Sparkplug host application, when asked for (and, active-active, while this instance leads): its readings go
 * where ingest's go and into the history through ingest's batcher, its edge node and device statuses to the
 * registry. Active-active, its readings go to the alerts too (`alerts`), which ingest's do not reach: the instance
 * that runs the host is the one that leads the alerts (one LeadTurn for both).
 */
function sparkplugHost(
  options: ServiceOptions,
  parts: {
    handlers: Pick<IngestOptions, 'onReading'>
    ingest: Ingest
    registry: DeviceRegistry
    commands: CommandTracker
    unrecognized: UnrecognizedPayloads
    /** Active-active only: ingest's readings do not reach the alerts there. */
    alerts: AlertMonitor | undefined
  },
  turn: LeadTurn | undefined
): SparkplugHostSeat | undefined {
  if (options.sparkplug === undefined) return undefined
  const sparkplug = options.sparkplug
  const { handlers, ingest, registry, commands, unrecognized, alerts } = parts
  const startHost = (): SparkplugHost =>
    new SparkplugHost({
      urls: options.urls,
      hostId: sparkplug.hostId,
      clientId: `${options.clientId ?? 'thermopost-service'}-sparkplug`,
      username: options.username,
      password: options.password,
      reorderTimeoutMs: sparkplug.reorderTimeoutMs,
      onReading: (reading) => {
        handlers.onReading(reading)
        alerts?.handleReading(reading)
        // QoS 0 data has nothing to acknowledge and cannot be held back at the broker: it is queued as it comes.
        ingest.batcher.add([reading])
      },
      onStatus: (status) => registry.noteStatus(status, false),
      onSetpointReport: (...report) => commands.setpointReported(...report),
      onEdgeNode: (site, report) => registry.noteEdgeNode(site, report),
      onUnreadable: (topic, reason) => unrecognized.count('sparkplug', reason, topic),
      logger: options.logger
    })
  return new SparkplugHostSeat({ startHost, ...(turn === undefined ? {} : { turn }), logger: options.logger })
}

interface IngestReaders {
  registry: DeviceRegistry
  commands: CommandTracker
  /** Absent when the alerts have a feed of every reading of their own (active-active): not the same reading twice. */
  alerts: AlertMonitor | undefined
  broker: SysWatch
  unrecognized: UnrecognizedPayloads
  metrics: ServiceMetrics
  /** Active-active: what this instance shares with the others. */
  shared: SharedState | undefined
}

/**
 * Who reads what ingest receives: every reading goes to the registry, the commands and (unless they have a feed
 * of their own) the alerts; meta, acks
 * and $SYS to one each; and what the other instances share to `peerRoutes`.
 */
function ingestHandlers(
  { registry, commands, alerts, broker, unrecognized, metrics, shared }: IngestReaders,
  peerRoutes: readonly IngestRoute[]
): Pick<IngestOptions, 'onReading' | 'onStored' | 'onStatus' | 'routes'> {
  return {
    onReading: (reading) => {
      metrics.readingIngested()
      registry.noteReading(reading)
      commands.handleReading(reading)
      alerts?.handleReading(reading)
    },
    onStored: (readings, writeSeconds) => {
      metrics.batchStored(readings.length, writeSeconds)
      shared?.readingsStored(readings, registry)
    },
    onStatus: (status, retained) => registry.noteStatus(status, retained),
    routes: [
      { filter: `${TOPIC_ROOT}/+/+/meta`, handle: metaHandler(registry, unrecognized) },
      { filter: `${TOPIC_ROOT}/+/+/ack`, handle: ({ topic, payload }) => commands.handleAck(topic, payload) },
      { filter: SYS_FILTER, handle: ({ topic, payload }) => broker.handle(topic, payload) },
      ...peerRoutes
    ]
  }
}

/** thermopost devices' retained meta, read with the contract (the thermopost adapter leaves it to the registry). */
function metaHandler(registry: DeviceRegistry, unrecognized: UnrecognizedPayloads): (message: IncomingMessage) => void {
  return ({ topic, payload }) => {
    const parsed = parseDeviceTopic(topic)
    if (parsed?.kind !== 'meta') return
    try {
      registry.noteMeta(parsed.site, parsed.device, decodeMeta(payload))
    } catch (error) {
      if (!(error instanceof ContractError)) throw error
      unrecognized.count('thermopost', error.message, topic)
    }
  }
}
