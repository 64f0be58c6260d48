import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AlertSeverity, CommandState, DeviceState, LiveEvent } from '../api/api-types.js'
import type { AlertDesk, DeviceDirectory } from '../api/service-parts.js'

/** Every state, so that each has a series from the start (a rate over a series that appears later misses its first step). */
const DEVICE_STATES: readonly DeviceState[] = ['online', 'offline', 'stale', 'unknown']
const COMMAND_STATES: readonly CommandState[] = ['queued', 'sent', 'acked', 'refused', 'expired', 'timed-out']
const ALERT_SEVERITIES: readonly AlertSeverity[] = ['info', 'warning', 'critical']

/** A history write takes about a millisecond on SQLite and tens of ms on InfluxDB; past 5 s something is wrong. */
const WRITE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
/** An API answer: a few ms for a device, up to about a second for a long series in CSV. */
const REQUEST_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

/** What the gauges read when Prometheus scrapes: the registry's devices and the alert monitor's alerts. */
export interface WatchedParts {
  devices: DeviceDirectory
  alerts: AlertDesk
}

/**
 * The service's Prometheus metrics, in a registry of its own (the command adds the process's default
 * metrics to it). Counters are told as things happen (readings ingested and stored, command changes, API
 * answers); the devices by state and the open alerts are read from their owners at each scrape, so they
 * cannot drift from what the API says.
 *
 * Every instance sees every command change (active-active instances share them), so a dashboard takes the
 * max over instances for commands and the sum for readings, which the instances split between them.
 */
export class ServiceMetrics {
  readonly registry = new Registry()
  private readonly ingested = new Counter({
    name: 'thermopost_service_readings_ingested_total',
    help: 'Readings the adapters read from MQTT messages (before they are stored).',
    registers: [this.registry]
  })
  private readonly stored = new Counter({
    name: 'thermopost_service_readings_stored_total',
    help: 'Readings written to the history store (each acknowledged to the broker after its batch is stored).',
    registers: [this.registry]
  })
  private readonly writeSeconds = new Histogram({
    name: 'thermopost_service_history_write_duration_seconds',
    help: 'How long one batch write to the history store took, retries not included.',
    buckets: WRITE_BUCKETS,
    registers: [this.registry]
  })
  private readonly commands = new Counter({
    name: 'thermopost_service_commands_total',
    help: 'Command changes by the state they reached: queued, sent, acked, refused, expired, timed-out.',
    labelNames: ['state'],
    registers: [this.registry]
  })
  private readonly requestSeconds = new Histogram({
    name: 'thermopost_service_http_request_duration_seconds',
    help: 'REST API requests by route (the pattern, e.g. /api/devices/:id), method and status, until the answer was sent; the live event stream is not counted.',
    labelNames: ['route', 'method', 'status'],
    buckets: REQUEST_BUCKETS,
    registers: [this.registry]
  })

  constructor() {
    for (const state of COMMAND_STATES) this.commands.inc({ state }, 0)
  }

  /** Adds the gauges read at each scrape: devices by state, open (raised or acknowledged) alerts by severity. */
  watch({ devices, alerts }: WatchedParts): void {
    this.countingGauge(
      'thermopost_service_devices',
      'Devices known to the service, by state: online, offline, stale (online but silent), unknown.',
      'state',
      DEVICE_STATES,
      () => devices.list().map((device) => device.state)
    )
    this.countingGauge(
      'thermopost_service_alerts_open',
      'Alerts raised and not yet cleared (acknowledged ones included), by severity.',
      'severity',
      ALERT_SEVERITIES,
      () => alerts.list().flatMap((alert) => (alert.state === 'cleared' ? [] : [alert.severity]))
    )
  }

  /** A gauge that counts, at each scrape, the items `read` returns by their label value; every known value starts at 0. */
  private countingGauge(name: string, help: string, label: string, values: readonly string[], read: () => readonly string[]): void {
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect() {
        this.reset()
        for (const value of values) this.set({ [label]: value }, 0)
        for (const value of read()) this.inc({ [label]: value })
      }
    })
  }

  readingIngested(): void {
    this.ingested.inc()
  }

  batchStored(count: number, writeSeconds: number): void {
    this.stored.inc(count)
    this.writeSeconds.observe(writeSeconds)
  }

  /** Counts the command changes among the service's live events. */
  observe(event: LiveEvent): void {
    if (event.type === 'command') this.commands.inc({ state: event.command.state })
  }

  requestServed(route: string, method: string, status: number, seconds: number): void {
    this.requestSeconds.observe({ route, method, status: String(status) }, seconds)
  }
}
