import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LiveWindow } from '../../dashboard/app/live-window.js'

test('the window keeps readings within its span of the newest, oldest first', () => {
  const window = new LiveWindow(60_000)
  for (let time = 0; time <= 120_000; time += 20_000) assert.equal(window.add({ time, temperature: time / 1000, setpoint: 21 }), true)
  assert.deepEqual(
    window.temperature.map((xy) => xy.x),
    [60_000, 80_000, 100_000, 120_000]
  )
  assert.deepEqual(
    window.setpoint.map((xy) => xy.y),
    [21, 21, 21, 21]
  )
})

test('a late reading goes to its place once; one older than the window and duplicates are dropped', () => {
  const window = new LiveWindow(60_000)
  window.add({ time: 100_000, temperature: 20 })
  window.add({ time: 130_000, temperature: 21 })
  assert.equal(window.add({ time: 110_000, temperature: 20.5 }), true)
  assert.equal(window.add({ time: 110_000, temperature: 20.5 }), false)
  assert.equal(window.add({ time: 10_000, temperature: 19 }), false)
  assert.deepEqual(window.temperature, [
    { x: 100_000, y: 20 },
    { x: 110_000, y: 20.5 },
    { x: 130_000, y: 21 }
  ])
  assert.deepEqual(
    window.setpoint.map((xy) => xy.y),
    [null, null, null]
  )
})

test('readings missing for more than three of their usual spacings break both lines', () => {
  const window = new LiveWindow(600_000)
  for (const time of [0, 500, 1000, 1500, 60_000, 60_500]) window.add({ time, temperature: 20, setpoint: 21 })
  assert.equal(window.size, 6)
  assert.deepEqual(
    window.temperature.map((xy) => xy.y),
    [20, 20, 20, 20, null, 20, 20]
  )
  assert.deepEqual(window.setpoint[4], { x: 1501, y: null })
})

test('an acknowledged setpoint is drawn at once, and the next reading takes over from it', () => {
  const window = new LiveWindow(60_000)
  window.add({ time: 1000, temperature: 20, setpoint: 21 })
  window.add({ time: 1500, temperature: 20, setpoint: 21 })
  window.acknowledge(25, 1700)
  assert.deepEqual(window.setpoint.at(-1), { x: 1700, y: 25 })
  window.acknowledge(26, 1200)
  assert.deepEqual(window.setpoint.at(-1), { x: 1500, y: 26 }, 'an ack stamped before the newest reading draws from it')
  window.add({ time: 2000, temperature: 20.1, setpoint: 26 })
  assert.deepEqual(
    window.setpoint.map((xy) => xy.y),
    [21, 21, 26]
  )
})
