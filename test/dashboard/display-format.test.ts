import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  formatAgo,
  formatBucket,
  formatCount,
  formatDuration,
  formatHeating,
  formatRate,
  formatTemperature,
  formatTick,
  MISSING
} from '../../dashboard/app/display-format.js'

test('temperatures have one decimal and a unit; missing ones are a dash, never 0', () => {
  assert.equal(formatTemperature(21.04), '21.0 °C')
  assert.equal(formatTemperature(-3.25), '-3.3 °C')
  assert.equal(formatTemperature(undefined), MISSING)
  assert.equal(formatTemperature(Number.NaN), MISSING)
})

test('durations show the two largest units and drop a zero second one', () => {
  assert.equal(formatDuration(0), '0 s')
  assert.equal(formatDuration(42.9), '42 s')
  assert.equal(formatDuration(250), '4 min 10 s')
  assert.equal(formatDuration(3600), '1 h')
  assert.equal(formatDuration(3 * 86_400 + 4 * 3600 + 59), '3 d 4 h')
  assert.equal(formatDuration(86_400 + 30), '1 d')
  assert.equal(formatDuration(-1), MISSING)
})

test('ages count from now; a reading from a clock slightly ahead is "just now"', () => {
  const now = 1_700_000_000_000
  assert.equal(formatAgo(now + 500, now), 'just now')
  assert.equal(formatAgo(now - 12_000, now), '12 s ago')
  assert.equal(formatAgo(now - 3 * 60_000, now), '3 min ago')
  assert.equal(formatAgo(undefined, now), MISSING)
})

test('rates, heater state and bucket widths', () => {
  assert.equal(formatRate(12.345), '12.3/s')
  assert.equal(formatRate(1234.5), '1235/s')
  assert.equal(formatRate(undefined), MISSING)
  assert.equal(formatHeating(true), 'on')
  assert.equal(formatHeating(false), 'off')
  assert.equal(formatHeating(undefined), MISSING)
  assert.equal(formatBucket(0), 'single readings')
  assert.equal(formatBucket(60_000), '1 min')
  assert.equal(formatBucket(6 * 3_600_000), '6 h')
  assert.equal(formatBucket(2 * 86_400_000), '2 d')
})

test('a value axis labels its ticks with the decimals its step needs, and no more', () => {
  assert.deepEqual(
    [20, 20.2, 20.4].map((value) => formatTick(value, 0.2)),
    ['20.0', '20.2', '20.4']
  )
  assert.deepEqual(
    [18, 20, 22].map((value) => formatTick(value, 2)),
    ['18', '20', '22']
  )
  assert.equal(formatTick(20.05, 0.05), '20.05')
  assert.equal(formatTick(21, 0.5), '21.0')
  assert.equal(formatTick(-0.1, 0.1), '-0.1')
})

test('counts group thousands as en-US writes them, whatever their size or sign', () => {
  for (const count of [0, 7, 999, 1000, 1440, 18_050, 999_999, 1_000_000, 123_456_789, -1234, Number.MAX_SAFE_INTEGER])
    assert.equal(formatCount(count), count.toLocaleString('en-US'), String(count))
  assert.equal(formatCount(undefined), MISSING)
})
