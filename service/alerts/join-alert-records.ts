import type { AlertRecord, AlertState } from '../api/api-types.js'

/** How far an alert has come: raised, then acknowledged by a person, then cleared when its condition ended. */
const PROGRESS: Record<AlertState, number> = { raised: 0, acknowledged: 1, cleared: 2 }

/**
 * The one record two copies of an alert (one id) come to: the furthest state, the earliest raise with its
 * message, the earliest acknowledgement and clearing. Commutative, associative and idempotent, so every
 * instance that has seen the same copies, in whatever order, holds the same record: two alert leaders at once
 * (a split) each record their own changes, and the copies converge. A copy behind the one known (a replay, a
 * stale retained record) changes nothing.
 */
export function joinAlertRecords(a: AlertRecord, b: AlertRecord): AlertRecord {
  const { acknowledgedAt: _acknowledged, clearedAt: _cleared, ...first } = firstRaised(a, b)
  const joined: AlertRecord = { ...first, state: PROGRESS[a.state] >= PROGRESS[b.state] ? a.state : b.state }
  const acknowledgedAt = earliest(a.acknowledgedAt, b.acknowledgedAt)
  const clearedAt = earliest(a.clearedAt, b.clearedAt)
  if (acknowledgedAt !== undefined) joined.acknowledgedAt = acknowledgedAt
  if (clearedAt !== undefined) joined.clearedAt = clearedAt
  return joined
}

/**
 * Of two alerts, the one raised first (then the smaller id, then message): for one alert, the copy whose
 * message is kept; for two open alerts of one rule and device (two leaders that saw the episode begin at
 * different readings), the one every instance keeps.
 */
export function firstRaised(a: AlertRecord, b: AlertRecord): AlertRecord {
  const order = a.raisedAt - b.raisedAt || compareCodeUnits(a.id, b.id) || compareCodeUnits(a.message, b.message)
  return order <= 0 ? a : b
}

/** Whether two records of an alert say the same. */
export function sameAlertRecord(a: AlertRecord, b: AlertRecord): boolean {
  return (
    a.id === b.id &&
    a.state === b.state &&
    a.raisedAt === b.raisedAt &&
    a.message === b.message &&
    a.severity === b.severity &&
    a.acknowledgedAt === b.acknowledgedAt &&
    a.clearedAt === b.clearedAt
  )
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? (a ?? b) : Math.min(a, b)
}

/** Not localeCompare: the order must be the same on every instance, whatever its locale. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
