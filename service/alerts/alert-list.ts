import type { AlertRecord, AlertState } from '../api/api-types.js'

/**
 * The alerts an alert monitor keeps, oldest raised first, the records themselves (the monitor changes them in
 * place). An id may also be an alias: that of an alert dropped for another of the same episode (two leaders
 * at once, AlertMonitor's fold), which names the kept one for as long as that is kept.
 */
export class AlertList {
  private readonly alerts: AlertRecord[] = []
  /** A dropped alert's id, and the kept one's. */
  private readonly aliases = new Map<string, string>()

  /** The alerts that match, newest first, as copies. */
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

  /** Every alert kept, oldest first: the records themselves. */
  all(): readonly AlertRecord[] {
    return this.alerts
  }

  /** The alert `id` names, itself or the one it was dropped for: undefined for an id not in use. */
  find(id: string): AlertRecord | undefined {
    const kept = this.aliases.get(id) ?? id
    return this.alerts.find((candidate) => candidate.id === kept)
  }

  /** A new alert, raised now: the newest. */
  push(alert: AlertRecord): void {
    this.alerts.push(alert)
  }

  /** Keeps the list oldest first when another instance's records arrive out of order (retained ones at subscribe time). */
  insert(alert: AlertRecord): void {
    const after = this.alerts.findIndex((candidate) => candidate.raisedAt > alert.raisedAt)
    this.alerts.splice(after < 0 ? this.alerts.length : after, 0, alert)
  }

  /** Drops `dropped` for `kept`: its id names `kept` from now on. */
  dropFor(dropped: AlertRecord, kept: AlertRecord): void {
    this.remove(dropped.id)
    this.aliases.set(dropped.id, kept.id)
  }

  /** Forgets an alert (not an alias), and the ids that named it; returns it, undefined when it was not kept. */
  remove(id: string): AlertRecord | undefined {
    const index = this.alerts.findIndex((candidate) => candidate.id === id)
    if (index < 0) return undefined
    const [alert] = this.alerts.splice(index, 1)
    for (const [alias, kept] of this.aliases) if (kept === id) this.aliases.delete(alias)
    return alert
  }

  /** Forgets the oldest cleared alerts past `max` of them; returns them. */
  trimCleared(max: number): AlertRecord[] {
    const cleared = this.alerts.filter((alert) => alert.state === 'cleared')
    const forgotten = cleared.slice(0, Math.max(0, cleared.length - max))
    for (const alert of forgotten) this.remove(alert.id)
    return forgotten
  }

  /** How many of a device's alerts are open (raised or acknowledged). */
  openCount(deviceId: string): number {
    return this.alerts.filter((alert) => alert.deviceId === deviceId && alert.state !== 'cleared').length
  }
}
