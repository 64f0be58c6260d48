import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import { TOPIC_ROOT } from '../../common/contract/topics.js'
import type { AlertRecord, AlertState, DeviceSummary, LiveEvent } from '../api/api-types.js'
import type { AlertDesk } from '../api/service-parts.js'
import type { Publisher } from '../ingest/publisher.js'
import type { Reading } from '../reading.js'
import { ServiceError } from '../service-error.js'
import type { AlertLog } from './alert-log.js'
import type { AlertRule } from './alert-rule.js'
import type { Webhook } from './webhook.js'

/** Alert rules applied to readings and silence (AlertMonitor): raised, acknowledged and cleared alerts. */

export interface AlertMonitorOptions {
  rules: readonly AlertRule[]
  devices: {
    list(): DeviceSummary[]
    setOpenAlerts(id: string, count: number): void
  }
  /** The service's MQTT link. */
  link: Publisher
  emit: (event: LiveEvent) => void
  webhook?: Webhook
  /** Where alerts outlive the process; without it they are kept in memory only. */
  log?: AlertLog
  logger: Pick<Logger, 'warn'>
  /** How often durations and staleness are checked, ms; 1000 by default. */
  checkMs?: number
  /** Cleared alerts kept for the list, at most; the oldest go first. 1000 by default. */
  maxCleared?: number
  now?: () => number
}

/** One rule on one device: since when its condition has held, and its alert while open. */
interface Watch {
  since?: number
  /** The temperature that last breached it, for the message. */
  value?: number
  open?: AlertRecord
}

/**
 * Alert rules over readings and silence: above / below a threshold continuously for a duration (any reading
 * back within bounds resets it), or no message from the device for a duration. An alert is raised,
 * acknowledged by a person, and cleared when its condition ends, each with its time; every change is
 * emitted, posted to the webhook, and published QoS 1 on `thermopost/{site}/{device}/alert`.
 *
 * Not retained: one topic carries the alerts of every rule on a device, so a retained message would show
 * only the last of them; the current ones are listed by the API.
 */
export class AlertMonitor implements AlertDesk {
  private readonly watches = new Map<string, Watch>()
  /** Every alert kept, oldest first. */
  private readonly alerts: AlertRecord[] = []
  private readonly timer: NodeJS.Timeout
  private readonly now: () => number

  constructor(private readonly options: AlertMonitorOptions) {
    this.now = options.now ?? Date.now
    for (const alert of options.log?.recent(this.maxCleared) ?? []) this.restore(alert)
    this.timer = setInterval(() => this.check(), options.checkMs ?? 1000)
    this.timer.unref()
  }

  private get maxCleared(): number {
    return this.options.maxCleared ?? 1000
  }

  /**
   * An alert from before a restart. An open one goes back to its rule's watch, so it clears as it would have
   * (its condition is taken to hold since it was raised); one whose rule is gone from the config is cleared.
   */
  private restore(alert: AlertRecord): void {
    this.alerts.push(alert)
    if (alert.state === 'cleared') return
    const rule = this.options.rules.find((candidate) => candidate.id === alert.ruleId)
    if (rule === undefined || !this.rulesFor(alert.deviceId).includes(rule)) {
      alert.state = 'cleared'
      alert.clearedAt = this.now()
      this.options.log?.save(alert)
      return
    }
    Object.assign(this.watch(rule, alert.deviceId), { since: alert.raisedAt, open: alert })
    this.options.devices.setOpenAlerts(
      alert.deviceId,
      this.alerts.filter((a) => a.deviceId === alert.deviceId && a.state !== 'cleared').length
    )
  }

  list(filter: { state?: AlertState; deviceId?: string } = {}): AlertRecord[] {
    return this.alerts
      .filter(
        (alert) =>
          (filter.state === undefined || alert.state === filter.state) &&
          (filter.deviceId === undefined || alert.deviceId === filter.deviceId)
      )
      .reverse()
      .map((alert) => ({ ...alert }))
  }

  acknowledge(id: string): AlertRecord {
    const alert = this.alerts.find((candidate) => candidate.id === id)
    if (alert === undefined) throw new ServiceError('unknown-alert', `no alert ${id}`)
    if (alert.state === 'raised') {
      alert.state = 'acknowledged'
      alert.acknowledgedAt = this.now()
      this.announce(alert)
    }
    return { ...alert }
  }

  handleReading(reading: Reading): void {
    const now = this.now()
    for (const rule of this.rulesFor(reading.deviceId)) {
      const { condition } = rule
      const watch = this.watch(rule, reading.deviceId)
      if (condition.kind === 'stale') continue
      const breached = condition.kind === 'above' ? reading.temperature > condition.threshold : reading.temperature < condition.threshold
      if (!breached) {
        watch.since = undefined
        this.clear(watch)
        continue
      }
      watch.since ??= now
      watch.value = reading.temperature
      this.evaluate(rule, reading.deviceId, watch, now)
    }
  }

  /** Checks durations that ran out between readings, and silence; the timer calls it. */
  check(): void {
    const now = this.now()
    for (const device of this.options.devices.list()) {
      for (const rule of this.rulesFor(device.id)) {
        const watch = this.watch(rule, device.id)
        if (rule.condition.kind !== 'stale') {
          this.evaluate(rule, device.id, watch, now)
          continue
        }
        const heard = device.lastSeen ?? device.stateSince
        if (heard === undefined) continue
        if (now - heard < rule.condition.forMs) {
          watch.since = undefined
          this.clear(watch)
        } else {
          watch.since = heard
          this.evaluate(rule, device.id, watch, now)
        }
      }
    }
  }

  close(): void {
    clearInterval(this.timer)
  }

  private evaluate(rule: AlertRule, deviceId: string, watch: Watch, now: number): void {
    if (watch.since === undefined || watch.open !== undefined || now - watch.since < rule.condition.forMs) return
    const alert: AlertRecord = {
      id: randomUUID(),
      ruleId: rule.id,
      deviceId,
      severity: rule.severity,
      state: 'raised',
      message: describe(rule, watch.value),
      raisedAt: now
    }
    watch.open = alert
    this.alerts.push(alert)
    this.announce(alert)
  }

  private clear(watch: Watch): void {
    const alert = watch.open
    if (alert === undefined) return
    watch.open = undefined
    alert.state = 'cleared'
    alert.clearedAt = this.now()
    this.announce(alert)
    this.trim()
  }

  private announce(alert: AlertRecord): void {
    const copy = { ...alert }
    this.options.log?.save(copy)
    this.options.emit({ type: 'alert', alert: copy })
    this.options.webhook?.notify(copy)
    this.options.devices.setOpenAlerts(
      alert.deviceId,
      this.alerts.filter((a) => a.deviceId === alert.deviceId && a.state !== 'cleared').length
    )
    this.options.link
      .publish(`${TOPIC_ROOT}/${alert.deviceId}/alert`, Buffer.from(JSON.stringify(copy)), { qos: 1 })
      .catch((error: unknown) => {
        this.options.logger.warn({ err: error, alert: alert.id }, 'publishing an alert failed')
      })
  }

  private trim(): void {
    const maxCleared = this.maxCleared
    let cleared = this.alerts.filter((alert) => alert.state === 'cleared').length
    for (let index = 0; cleared > maxCleared && index < this.alerts.length; ) {
      if (this.alerts[index].state === 'cleared') {
        const [forgotten] = this.alerts.splice(index, 1)
        this.options.log?.forgetClearedBefore(forgotten!.raisedAt + 1)
        cleared--
      } else {
        index++
      }
    }
  }

  private rulesFor(deviceId: string): AlertRule[] {
    return this.options.rules.filter((rule) => rule.deviceId === '*' || rule.deviceId === deviceId)
  }

  private watch(rule: AlertRule, deviceId: string): Watch {
    const key = `${rule.id}\n${deviceId}`
    let watch = this.watches.get(key)
    if (watch === undefined) {
      watch = {}
      this.watches.set(key, watch)
    }
    return watch
  }
}

/** For a person: "above 30 °C for 10 min (31.2 °C)", "silent for 15 min". */
function describe(rule: AlertRule, value: number | undefined): string {
  const { condition } = rule
  const duration = formatDuration(condition.forMs)
  if (condition.kind === 'stale') return `silent for ${duration}`
  const measured = value === undefined ? '' : ` (${value} °C)`
  return `${condition.kind} ${condition.threshold} °C${condition.forMs > 0 ? ` for ${duration}` : ''}${measured}`
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${ms / 1000} s`
}
