import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Broker } from '../broker.js'
import { Reason } from '../protocol/reason-codes.js'
import { type BrokerStats, dropReasonNames } from '../stats.js'
import type { Backlog } from '../sys/sys-topics.js'
import { PROTOCOL_VERSION_NAMES } from './admin-records.js'
import { bridgeMetrics } from './bridge-metrics.js'
import { clusterMetrics } from './cluster-metrics.js'
import { scrapedBy } from './scraped-metric.js'

/** What the metrics read of the broker, all when scraped. */
export type MetricsSource = Pick<
  Broker,
  'stats' | 'clients' | 'backlog' | 'sessionCount' | 'subscriptionCount' | 'retained' | 'store' | 'bridges' | 'cluster'
>

/** Reason codes by their snake_case name (0x8D → keep_alive_timeout), for labels. */
const REASON_NAMES = new Map<number, string>(
  Object.entries(Reason).map(([name, code]) => [code, name.replace(/(?<=[a-z0-9])([A-Z])/g, '_$1').toLowerCase()])
)

function reasonLabel(code: number): string {
  return REASON_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`
}

const QOS_LABELS = ['0', '1', '2']

/** Walking every session once a scrape is enough: the metrics that need the walk share one for a second. */
const BACKLOG_REUSE_MS = 1000

/**
 * The broker's Prometheus metrics, in a registry of their own (with Node's default process metrics). Nothing here
 * runs per message: the counters are plain numbers in BrokerStats that each metric's `collect` reads when scraped.
 * Only the store's commits (a few hundred a second at most) are observed as they happen.
 */
export function brokerMetrics(source: MetricsSource): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  clientMetrics(registry, source)
  trafficMetrics(registry, source.stats)
  stateMetrics(registry, source)
  observeStoreCommits(registry, source.store)
  bridgeMetrics(registry, source)
  if (source.cluster !== undefined) clusterMetrics(registry, source.cluster)
  return registry
}

function clientMetrics(registry: Registry, source: MetricsSource): void {
  const { stats } = source
  new Gauge({
    name: 'thermopost_broker_clients_connected',
    help: 'Clients connected now (CONNACK sent), by listener (protocol:port) and MQTT protocol version',
    labelNames: ['listener', 'protocol_version'],
    registers: [registry],
    collect() {
      this.reset()
      const counts = new Map<string, { listener: string; protocol_version: string; count: number }>()
      for (const client of source.clients()) {
        const key = `${client.listener.name} ${client.protocolVersion}`
        const entry = counts.get(key)
        if (entry !== undefined) entry.count++
        else
          counts.set(key, { listener: client.listener.name, protocol_version: PROTOCOL_VERSION_NAMES[client.protocolVersion]!, count: 1 })
      }
      for (const { count, ...labels } of counts.values()) this.set(labels, count)
    }
  })
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_connections_total',
    'CONNECTs answered, by CONNACK reason (success, or why refused)',
    'reason',
    () => byReasonCode(stats.connacks)
  )
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_disconnections_total',
    "Connected clients' connections that ended, by reason: client_disconnect (the client sent DISCONNECT), connection_lost (no DISCONNECT either way), or the reason the broker ended it",
    'reason',
    () => [
      ['client_disconnect', stats.clientDisconnects],
      ['connection_lost', stats.connectionsLost],
      ...byReasonCode(stats.serverDisconnects)
    ]
  )
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_authentication_failures_total',
    'CONNECTs refused for who the client is: credentials, certificate, or a session of another user',
    undefined,
    () => [['', stats.authenticationFailures]]
  )
}

function trafficMetrics(registry: Registry, stats: BrokerStats): void {
  const perQos = (name: string, help: string, counts: Float64Array): void =>
    scrapedBy(registry, 'counter', name, help, 'qos', () => QOS_LABELS.map((qos, index) => [qos, counts[index]!]))
  perQos('thermopost_broker_messages_received_total', 'PUBLISH packets received from clients, by QoS', stats.received)
  perQos('thermopost_broker_messages_sent_total', 'PUBLISH packets sent to clients, by QoS', stats.sent)
  perQos('thermopost_broker_publish_received_bytes_total', 'Bytes of the PUBLISH packets received, by QoS', stats.receivedPublishBytes)
  perQos('thermopost_broker_publish_sent_bytes_total', 'Bytes of the PUBLISH packets sent, by QoS', stats.sentPublishBytes)
  scrapedBy(registry, 'counter', 'thermopost_broker_received_bytes_total', 'Bytes received from clients, all packets', undefined, () => [
    ['', stats.bytesReceived]
  ])
  scrapedBy(registry, 'counter', 'thermopost_broker_sent_bytes_total', 'Bytes sent to clients, all packets', undefined, () => [
    ['', stats.bytesSent]
  ])
  scrapedBy(
    registry,
    'counter',
    'thermopost_broker_messages_dropped_total',
    'Messages not delivered, by reason: queue_full, expired, no_subscriber (on this node), acl, too_large (for the subscriber)',
    'reason',
    () => dropReasonNames.map((reason, index) => [reason, stats.dropped[index]!])
  )
}

function stateMetrics(registry: Registry, source: MetricsSource): void {
  const { stats } = source
  let backlog: { at: number; value: Backlog } | undefined
  const currentBacklog = (): Backlog => {
    const now = Date.now()
    if (backlog === undefined || now - backlog.at > BACKLOG_REUSE_MS) backlog = { at: now, value: source.backlog() }
    return backlog.value
  }
  const gauge = (name: string, help: string, read: () => number): void =>
    scrapedBy(registry, 'gauge', name, help, undefined, () => [['', read()]])
  gauge('thermopost_broker_retained_messages', 'Retained messages held', () => source.retained.size)
  gauge('thermopost_broker_subscriptions', 'Subscriptions held, shared ones included', () => source.subscriptionCount)
  scrapedBy(
    registry,
    'gauge',
    'thermopost_broker_sessions',
    'Sessions held, by state: connected, or offline and waiting for their expiry',
    'state',
    () => [
      ['connected', stats.clientsConnected],
      ['offline', Math.max(0, source.sessionCount - stats.clientsConnected)]
    ]
  )
  gauge('thermopost_broker_queued_messages', 'Messages waiting in session queues', () => currentBacklog().queued)
  gauge('thermopost_broker_queued_bytes', 'Payload bytes of the messages waiting in session queues', () => currentBacklog().queuedBytes)
  gauge('thermopost_broker_inflight_messages', 'QoS 1/2 messages sent and not yet acknowledged', () => currentBacklog().inflight)
  gauge('thermopost_broker_store_available', "1 while the store's server can be reached (always, for a store without one), else 0", () =>
    source.store.unavailableSince === undefined ? 1 : 0
  )
}

/** Commit latency and batch size, for a store that reports its commits (Store.observeCommits). */
function observeStoreCommits(registry: Registry, store: MetricsSource['store']): void {
  if (store.observeCommits === undefined) return
  const latency = new Histogram({
    name: 'thermopost_broker_store_commit_duration_seconds',
    help: 'Time from a batch of store writes being sent to its commit being durable',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry]
  })
  const size = new Histogram({
    name: 'thermopost_broker_store_commit_operations',
    help: 'Write operations per store commit (group commit batch size: SQLite operations, Redis commands)',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
    registers: [registry]
  })
  store.observeCommits((operations, seconds) => {
    latency.observe(seconds)
    size.observe(operations)
  })
}

/** `[label value, count]` of every reason code counted at least once. */
function byReasonCode(counts: Float64Array): Array<[string, number]> {
  const entries: Array<[string, number]> = []
  for (let code = 0; code < counts.length; code++) if (counts[code]! > 0) entries.push([reasonLabel(code), counts[code]!])
  return entries
}
