import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tickFormatOptions, tickLabel } from '../../dashboard/app/time-labels.js'

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000

test('each tick step has one format: seconds under a minute, hours and minutes under a day, dates above', () => {
  assert.deepEqual(tickFormatOptions(10_000), { hour: 'numeric', minute: '2-digit', second: '2-digit' })
  assert.deepEqual(tickFormatOptions(MINUTE), { hour: 'numeric', minute: '2-digit' })
  assert.deepEqual(tickFormatOptions(4 * HOUR), { hour: 'numeric', minute: '2-digit' })
  assert.deepEqual(tickFormatOptions(DAY), { month: 'short', day: 'numeric' })
  assert.deepEqual(tickFormatOptions(30 * DAY), { month: 'short', year: 'numeric' })
  assert.deepEqual(tickFormatOptions(366 * DAY), { year: 'numeric' })
})

test('every tick of an axis is labelled in the format of its step, by Intl', () => {
  const start = Date.UTC(2026, 2, 12, 4)
  const ticks = [0, 1, 2].map((index) => ({ value: start + index * 4 * HOUR }))
  const format = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
  assert.deepEqual(
    ticks.map((tick) => tickLabel(tick.value, ticks)),
    ticks.map((tick) => format.format(tick.value))
  )
})
