import type { Logger } from 'pino'
import { TOPIC_ROOT } from '../../common/contract/topics.js'
import type { AlertRecord, AlertState, DeviceSummary, LiveEvent } from '../api/api-types.js'
import type { AlertDesk } from '../api/service-parts.js'
import type { Publisher } from '../ingest/publisher.js'
import type { Reading } from '../reading.js'
import { ServiceError } from '../service-error.js'
import { alertId } from './alert-id.js'
import { AlertList } from './alert-list.js'
import type { AlertLog } from './alert-log.js'
import { alertMessage } from './alert-message.js'
import type { AlertRule } from './alert-rule.js'
import { type AlertWatch, AlertWatches } from './alert-watches.js'
import { firstRaised, joinAlertRecords, sameAlertRecord } from './join-alert-records.js'
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
  /** An alert the leader no longer keeps: cleared past the limit, or dropped for another of its episode. */
  forget(id: string): void
  /** Asks the leader, whoever it is, to acknowledge an alert, as of `at`; throws ServiceError when it cannot. */
  requestAcknowledge(id: string, at: number): void
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
 * Two leaders at once (a split) make one alert of an episode all the same: its id is named by the episode
 * (alert-id.ts), copies of one alert join (join-alert-records.ts), and two alerts of one episode fold (`fold`).
 */
export class AlertMonitor implements AlertDesk {
  private readonly watches = new AlertWatches()
  private readonly alerts = new AlertList()
  /** Acknowledgements asked for through another instance, by alert id, for whichever instance leads next. */
  private readonly requested = new Map<string, number>()
  /** The open alerts this instance raised: the ones it posted to the webhook as raised. */
  private readonly raisedHere = new Set<string>()
  /** When each device's last reading came to this monitor, for staleness: the registry may hear of it later. */
  private readonly heard = new Map<string, number>()
  /** The time each device's last reading carries, for naming a silence's episode. */
  private readonly lastReadingTime = new Map<string, number>()
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
    Object.assign(this.watches.of(rule.id, alert.deviceId), { since: alert.raisedAt, open: alert })
    this.countOpen(alert.deviceId)
  }

  list(filter: { state?: AlertState; deviceId?: string } = {}): AlertRecord[] {
    return this.alerts.list(filter)
  }

  /**
   * Acknowledges a raised alert. On an instance that does not lead, the leader is asked to (through the
   * broker), and the alert is answered as the leader will record it; every instance lists it so once the
   * leader's record reaches it.
   */
  acknowledge(id: string): AlertRecord {
    const alert = this.alerts.find(id)
    if (alert === undefined) throw new ServiceError('unknown-alert', `no alert ${id}`)
    if (alert.state !== 'raised') return { ...alert }
    const at = this.now()
    if (this.leading) {
      this.markAcknowledged(alert, at)
      return { ...alert }
    }
    this.options.share?.requestAcknowledge(alert.id, at)
    this.requested.set(alert.id, at)
    return { ...alert, state: 'acknowledged', acknowledgedAt: at }
  }

  /** Another instance's API acknowledged an alert: the leader records it, the others keep it for a next leader. */
  acknowledgeRequested(id: string, at: number): void {
    const alert = this.alerts.find(id)
    if (alert?.state !== 'raised') return
    if (this.leading) this.markAcknowledged(alert, at)
    else this.requested.set(alert.id, at)
  }

  /**
   * This instance now evaluates the rules, from the alerts as the last leader left them: its open ones hold
   * their watches (merge keeps them), so none is raised again; one whose rule this instance does not have is
   * cleared, as after a restart; and acknowledgements asked for meanwhile are recorded.
   */
  lead(): void {
    this.leading = true
    for (const alert of this.alerts.all().filter((candidate) => candidate.state !== 'cleared')) {
      const rule = this.rulesFor(alert.deviceId).find((candidate) => candidate.id === alert.ruleId)
      if (rule === undefined) this.clear(this.watches.of(alert.ruleId, alert.deviceId), alert)
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
    for (const alert of this.alerts.all()) share.publish({ ...alert })
  }

  leads(): boolean {
    return this.leading
  }

  /** Another instance evaluates the rules now; this one lists what it shares. */
  follow(): void {
    this.leading = false
  }

  /**
   * Another instance's record of an alert (active-active), joined with the copy known (join-alert-records.ts):
   * listed, and its watch kept for when this instance leads. Two leaders at once (a split, a handover) each
   * publish their own copy of an alert they both raised; a leader that knows more than the copy it hears
   * publishes the join, so that the broker's retained record converges as the instances' lists do.
   */
  merge(incoming: AlertRecord): void {
    const known = this.alerts.find(incoming.id)
    if (known === undefined) {
      const alert = { ...incoming }
      this.alerts.insert(alert)
      this.watchMerged(alert)
      return
    }
    // `incoming` names an alert folded away here (find answers the kept one): its leader changed it before it
    // heard of the fold, and it stays off the broker.
    if (known.id !== incoming.id && this.leading) this.options.share?.forget(incoming.id)
    const record = { ...incoming, id: known.id }
    const joined = joinAlertRecords(known, record)
    if (this.leading && !sameAlertRecord(joined, record)) this.options.share?.publish(joined)
    if (sameAlertRecord(joined, known)) return
    Object.assign(known, joined)
    this.watchMerged(known)
  }

  /** A merged alert's watch: its open alert, unless another is open there, which the two fold into. */
  private watchMerged(alert: AlertRecord): void {
    const watch = this.watches.of(alert.ruleId, alert.deviceId)
    if (alert.state === 'cleared') {
      if (watch.open?.id === alert.id) watch.open = undefined
    } else if (watch.open !== undefined && watch.open.id !== alert.id) {
      this.fold(watch, watch.open, alert)
      return
    } else {
      watch.open = alert
      watch.since ??= alert.raisedAt
    }
    if (alert.state !== 'raised') this.requested.delete(alert.id)
    this.noteChange(alert)
  }

  /**
   * Two open alerts of one rule and device: two leaders at once that saw the episode begin at different
   * readings (one's feed started later, or the readings carry no time of their own, so each leader named the
   * episode by its own clock). Every instance keeps the one raised first, with the other's acknowledgement,
   * and drops the other: the same choice everywhere, so the lists converge. A leader removes the dropped
   * record from the broker and shares the kept one; one that raised the dropped alert posts it as cleared, so
   * that the webhook's receiver sees it end. The dropped id still names the kept alert, for an
   * acknowledgement through the API or from another instance.
   */
  private fold(watch: AlertWatch, a: AlertRecord, b: AlertRecord): void {
    const kept = firstRaised(a, b)
    const dropped = kept === a ? b : a
    Object.assign(kept, joinAlertRecords(kept, { ...dropped, id: kept.id }))
    watch.open = kept
    this.alerts.dropFor(dropped, kept)
    const request = this.requested.get(dropped.id)
    this.requested.delete(dropped.id)
    if (request !== undefined && kept.state === 'raised') this.requested.set(kept.id, request)
    // The kept record first: an instance that hears of the fold before the dropped record's removal folds the same.
    if (this.leading) {
      this.options.share?.publish({ ...kept })
      this.options.share?.forget(dropped.id)
    }
    if (this.raisedHere.delete(dropped.id)) {
      this.options.webhook?.notify({
        ...dropped,
        state: 'cleared',
        clearedAt: this.now(),
        message: `${dropped.message}, the same as alert ${kept.id}`
      })
    }
    this.noteChange(kept)
  }

  /** The leader no longer keeps an alert (AlertShare.forget). */
  forget(id: string): void {
    const alert = this.alerts.remove(id)
    if (alert === undefined) return
    const watch = this.watches.of(alert.ruleId, alert.deviceId)
    if (watch.open?.id === id) watch.open = undefined
    this.requested.delete(id)
    this.countOpen(alert.deviceId)
  }

  handleReading(reading: Reading): void {
    if (!this.leading) return
    const now = this.now()
    this.heard.set(reading.deviceId, now)
    this.lastReadingTime.set(reading.deviceId, reading.time)
    for (const rule of this.rulesFor(reading.deviceId)) {
      const { condition } = rule
      const watch = this.watches.of(rule.id, reading.deviceId)
      if (condition.kind === 'stale') continue
      const breached = condition.kind === 'above' ? reading.temperature > condition.threshold : reading.temperature < condition.threshold
      if (!breached) {
        this.conditionEnded(watch)
        continue
      }
      if (watch.since === undefined) Object.assign(watch, { since: now, episode: reading.time })
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
        const watch = this.watches.of(rule.id, device.id)
        if (rule.condition.kind !== 'stale') {
          this.evaluate(rule, device.id, watch, now)
          continue
        }
        const heard = latest(this.heard.get(device.id), device.lastSeen) ?? device.stateSince
        if (heard === undefined) continue
        if (now - heard < rule.condition.forMs) this.conditionEnded(watch)
        else {
          const episode = latest(this.lastReadingTime.get(device.id), device.lastReading?.time) ?? heard
          Object.assign(watch, { since: heard, episode })
          this.evaluate(rule, device.id, watch, now)
        }
      }
    }
  }

  close(): void {
    clearInterval(this.timer)
  }

  private evaluate(rule: AlertRule, deviceId: string, watch: AlertWatch, now: number): void {
    if (watch.since === undefined || watch.open !== undefined || now - watch.since < rule.condition.forMs) return
    const alert: AlertRecord = {
      id: this.newAlertId(rule.id, deviceId, watch.episode ?? watch.since),
      ruleId: rule.id,
      deviceId,
      severity: rule.severity,
      state: 'raised',
      message: alertMessage(rule, watch.value),
      raisedAt: now
    }
    watch.open = alert
    this.alerts.push(alert)
    this.raisedHere.add(alert.id)
    this.announce(alert)
  }

  /** The episode's id: the first one free, should an earlier episode have begun at the same time. */
  private newAlertId(ruleId: string, deviceId: string, episode: number): string {
    for (let repeat = 0; ; repeat++) {
      const id = alertId(ruleId, deviceId, episode, repeat)
      if (this.alerts.find(id) === undefined) return id
    }
  }

  /** The watch's condition no longer holds: no episode under way, and its open alert cleared. */
  private conditionEnded(watch: AlertWatch): void {
    watch.since = undefined
    watch.episode = undefined
    this.clear(watch)
  }

  /** Clears the watch's open alert (or `alert`, one no rule watches any more). */
  private clear(watch: AlertWatch, alert = watch.open): void {
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

  /** A change of an alert, this instance's or the leader's: kept, told to the live feed, counted on its device. */
  private noteChange(alert: AlertRecord): AlertRecord {
    const copy = { ...alert }
    if (alert.state === 'cleared') this.raisedHere.delete(alert.id)
    this.options.log?.save(copy)
    this.options.emit({ type: 'alert', alert: copy })
    this.countOpen(alert.deviceId)
    return copy
  }

  private countOpen(deviceId: string): void {
    this.options.devices.setOpenAlerts(deviceId, this.alerts.openCount(deviceId))
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
    for (const forgotten of this.alerts.trimCleared(this.maxCleared)) {
      this.options.log?.forgetClearedBefore(forgotten.raisedAt + 1)
      this.options.share?.forget(forgotten.id)
    }
  }

  private rulesFor(deviceId: string): AlertRule[] {
    return this.options.rules.filter((rule) => rule.deviceId === '*' || rule.deviceId === deviceId)
  }
}

/** The later of two times, either of which may be unknown. */
function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? (a ?? b) : Math.max(a, b)
}
