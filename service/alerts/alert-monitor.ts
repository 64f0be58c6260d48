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
  /** Where alerts outlive the process; without it they are kept in memory only (or on the broker, with `share`). */
  log?: AlertLog
  /**
   * Active-active: the alert leader's changes go to the other instances, and theirs come back through `merge`,
   * `forget` and `acknowledgeRequested`. With it, the monitor evaluates its rules only between `lead` and
   * `follow`; without it (one instance), always.
   */
  share?: AlertShare
  logger: Pick<Logger, 'warn'>
  /** How often durations and staleness are checked, ms; 1000 by default. */
  checkMs?: number
  /** Cleared alerts kept for the list, at most; the oldest go first. 1000 by default. */
  maxCleared?: number
  now?: () => number
}

/** How the alert leader tells the other instances, through the broker (peers/shared-alerts.ts). */
export interface AlertShare {
  /** An alert as the leader has it now. */
  publish(alert: AlertRecord): void
  /** A cleared alert the leader no longer keeps. */
  forget(id: string): void
  /** Asks the leader, whoever it is, to acknowledge an alert, as of `at`; throws ServiceError when it cannot. */
  requestAcknowledge(id: string, at: number): void
}

/** How far an alert has come: a change that is behind the one known (a replay, a stale copy) is not taken. */
const PROGRESS: Record<AlertState, number> = { raised: 0, acknowledged: 1, cleared: 2 }

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
 *
 * Active-active (`share`): every instance has a monitor, and one of them, the leader, evaluates the rules,
 * posts and publishes; the others list the leader's records (`merge`) and pass acknowledgements on to it.
 */
export class AlertMonitor implements AlertDesk {
  private readonly watches = new Map<string, Watch>()
  /** Every alert kept, oldest first. */
  private readonly alerts: AlertRecord[] = []
  /** Acknowledgements asked for through another instance, by alert id, for whichever instance leads next. */
  private readonly requested = new Map<string, number>()
  /** When each device's last reading came to this monitor, for staleness: the registry may hear of it later. */
  private readonly heard = new Map<string, number>()
  private readonly timer: NodeJS.Timeout
  private readonly now: () => number
  private leading: boolean

  constructor(private readonly options: AlertMonitorOptions) {
    this.now = options.now ?? Date.now
    this.leading = options.share === undefined
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
    const rule = this.rulesFor(alert.deviceId).find((candidate) => candidate.id === alert.ruleId)
    if (rule === undefined) {
      alert.state = 'cleared'
      alert.clearedAt = this.now()
      this.options.log?.save(alert)
      return
    }
    Object.assign(this.watch(rule.id, alert.deviceId), { since: alert.raisedAt, open: alert })
    this.countOpen(alert.deviceId)
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

  /**
   * Acknowledges a raised alert. On an instance that does not lead, the leader is asked to (through the
   * broker), and the alert is answered as the leader will record it; every instance lists it so once the
   * leader's record reaches it.
   */
  acknowledge(id: string): AlertRecord {
    const alert = this.alerts.find((candidate) => candidate.id === id)
    if (alert === undefined) throw new ServiceError('unknown-alert', `no alert ${id}`)
    if (alert.state !== 'raised') return { ...alert }
    const at = this.now()
    if (this.leading) {
      this.markAcknowledged(alert, at)
      return { ...alert }
    }
    this.options.share?.requestAcknowledge(id, at)
    this.requested.set(id, at)
    return { ...alert, state: 'acknowledged', acknowledgedAt: at }
  }

  /** Another instance's API acknowledged an alert: the leader records it, the others keep it for a next leader. */
  acknowledgeRequested(id: string, at: number): void {
    const alert = this.alerts.find((candidate) => candidate.id === id)
    if (alert?.state !== 'raised') return
    if (this.leading) this.markAcknowledged(alert, at)
    else this.requested.set(id, at)
  }

  /**
   * This instance now evaluates the rules, from the alerts as the last leader left them: its open ones hold
   * their watches (merge keeps them), so none is raised again; one whose rule this instance does not have is
   * cleared, as after a restart; and acknowledgements asked for meanwhile are recorded.
   */
  lead(): void {
    this.leading = true
    for (const alert of this.alerts.filter((candidate) => candidate.state !== 'cleared')) {
      const rule = this.rulesFor(alert.deviceId).find((candidate) => candidate.id === alert.ruleId)
      if (rule === undefined) this.clear(this.watch(alert.ruleId, alert.deviceId), alert)
    }
    for (const [id, at] of this.requested) this.acknowledgeRequested(id, at)
    this.requested.clear()
  }

  /**
   * The link (re)connected: the leader shares every alert it keeps again, as the broker may have missed
   * changes while the link was down, or lost its retained records in a restart.
   */
  shareAll(): void {
    const share = this.options.share
    if (!this.leading || share === undefined) return
    for (const alert of this.alerts) share.publish({ ...alert })
  }

  /** Another instance evaluates the rules now; this one lists what it shares. */
  follow(): void {
    this.leading = false
  }

  /** The leader's record of an alert (active-active): listed, and its watch kept for when this instance leads. */
  merge(record: AlertRecord): void {
    const known = this.alerts.find((candidate) => candidate.id === record.id)
    if (known !== undefined && PROGRESS[record.state] < PROGRESS[known.state]) return
    const alert = known ?? record
    if (known === undefined) this.insert(record)
    else Object.assign(known, record)
    const watch = this.watch(alert.ruleId, alert.deviceId)
    if (alert.state === 'cleared') {
      if (watch.open?.id === alert.id) watch.open = undefined
    } else {
      watch.open = alert
      watch.since ??= alert.raisedAt
    }
    if (alert.state !== 'raised') this.requested.delete(alert.id)
    this.noteChange(alert)
  }

  /** The leader no longer keeps a cleared alert. */
  forget(id: string): void {
    const index = this.alerts.findIndex((candidate) => candidate.id === id)
    if (index < 0) return
    const [alert] = this.alerts.splice(index, 1)
    const watch = this.watch(alert!.ruleId, alert!.deviceId)
    if (watch.open?.id === id) watch.open = undefined
    this.requested.delete(id)
    this.countOpen(alert!.deviceId)
  }

  handleReading(reading: Reading): void {
    if (!this.leading) return
    const now = this.now()
    this.heard.set(reading.deviceId, now)
    for (const rule of this.rulesFor(reading.deviceId)) {
      const { condition } = rule
      const watch = this.watch(rule.id, reading.deviceId)
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
    if (!this.leading) return
    const now = this.now()
    for (const device of this.options.devices.list()) {
      for (const rule of this.rulesFor(device.id)) {
        const watch = this.watch(rule.id, device.id)
        if (rule.condition.kind !== 'stale') {
          this.evaluate(rule, device.id, watch, now)
          continue
        }
        const heard = latest(this.heard.get(device.id), device.lastSeen) ?? device.stateSince
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

  /** Clears the watch's open alert (or `alert`, one no rule watches any more). */
  private clear(watch: Watch, alert = watch.open): void {
    if (alert === undefined) return
    if (watch.open === alert) watch.open = undefined
    alert.state = 'cleared'
    alert.clearedAt = this.now()
    this.announce(alert)
    this.trim()
  }

  private markAcknowledged(alert: AlertRecord, at: number): void {
    alert.state = 'acknowledged'
    alert.acknowledgedAt = at
    this.announce(alert)
  }

  /** Keeps the list oldest first when the leader's records arrive out of order (retained ones at subscribe time). */
  private insert(alert: AlertRecord): void {
    const after = this.alerts.findIndex((candidate) => candidate.raisedAt > alert.raisedAt)
    this.alerts.splice(after < 0 ? this.alerts.length : after, 0, alert)
  }

  /** A change of an alert, this instance's or the leader's: kept, told to the live feed, counted on its device. */
  private noteChange(alert: AlertRecord): AlertRecord {
    const copy = { ...alert }
    this.options.log?.save(copy)
    this.options.emit({ type: 'alert', alert: copy })
    this.countOpen(alert.deviceId)
    return copy
  }

  private countOpen(deviceId: string): void {
    this.options.devices.setOpenAlerts(deviceId, this.alerts.filter((a) => a.deviceId === deviceId && a.state !== 'cleared').length)
  }

  /** A change this instance made: also posted, published on the device's alert topic, and shared. */
  private announce(alert: AlertRecord): void {
    const copy = this.noteChange(alert)
    this.options.webhook?.notify(copy)
    this.options.share?.publish(copy)
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
        this.options.share?.forget(forgotten!.id)
        cleared--
      } else {
        index++
      }
    }
  }

  private rulesFor(deviceId: string): AlertRule[] {
    return this.options.rules.filter((rule) => rule.deviceId === '*' || rule.deviceId === deviceId)
  }

  private watch(ruleId: string, deviceId: string): Watch {
    const key = `${ruleId}\n${deviceId}`
    let watch = this.watches.get(key)
    if (watch === undefined) {
      watch = {}
      this.watches.set(key, watch)
    }
    return watch
  }
}

/** The later of two times, either of which may be unknown. */
function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? (a ?? b) : Math.max(a, b)
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
