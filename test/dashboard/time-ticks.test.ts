import assert from 'node:assert/strict'
import { test } from 'node:test'
import { timeTicks } from '../../dashboard/app/time-ticks.js'

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

/** Local time's fields of each tick, which is what "round" means to the person reading the axis. */
function local(ticks: number[]): string[] {
  return ticks.map((tick) => {
    const date = new Date(tick)
    return `${date.getMonth() + 1}-${date.getDate()} ${date.getHours()}:${String(date.getMinutes()).padStart(2, '0')}:${String(date.getSeconds()).padStart(2, '0')}`
  })
}

test('under a day, ticks fall on whole steps of local time, no more than asked for, within the span', () => {
  const min = new Date(2026, 2, 12, 9, 47, 13).getTime()
  const ticks = timeTicks(min, min + 24 * HOUR, 12)
  assert.ok(ticks.length <= 12 && ticks.length >= 10, `${ticks.length} ticks`)
  assert.deepEqual(local(ticks).slice(0, 3), ['3-12 10:00:00', '3-12 12:00:00', '3-12 14:00:00'])
  assert.ok(ticks.every((tick) => tick >= min && tick <= min + 24 * HOUR))

  const live = timeTicks(min, min + 10 * MINUTE, 8)
  assert.deepEqual(local(live), ['3-12 9:48:00', '3-12 9:50:00', '3-12 9:52:00', '3-12 9:54:00', '3-12 9:56:00'])
  assert.deepEqual(local(timeTicks(min, min + 20_000, 4)), ['3-12 9:47:15', '3-12 9:47:20', '3-12 9:47:25', '3-12 9:47:30'])
})

test('over days, ticks fall on local midnights; over months, on the first of a month', () => {
  const min = new Date(2026, 0, 3, 15, 30).getTime()
  const weeks = timeTicks(min, min + 30 * DAY, 10)
  assert.deepEqual(local(weeks), ['1-4 0:00:00', '1-11 0:00:00', '1-18 0:00:00', '1-25 0:00:00', '2-1 0:00:00'])
  const quarters = timeTicks(min, min + 365 * DAY, 6)
  assert.deepEqual(local(quarters), ['2-1 0:00:00', '5-1 0:00:00', '8-1 0:00:00', '11-1 0:00:00'])
})

test('an empty span has one tick, at its start', () => {
  assert.deepEqual(timeTicks(5000, 5000, 10), [5000])
})
