import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LoadAverages } from '../../../broker/sys/load-averages.js'

/** Mosquitto's load figures: per-minute rates, exponentially averaged over 1, 5 and 15 minutes (sys_tree.c calc_load). */
test('a counter that grew by 60 in one minute: 60 × (1 − e^(−t/window)) in each window, two decimals', () => {
  const load = new LoadAverages({ 'publish/received': 0 })
  assert.deepEqual(load.figures(), [
    ['publish/received/1min', '0.00'],
    ['publish/received/5min', '0.00'],
    ['publish/received/15min', '0.00']
  ])
  load.update({ 'publish/received': 60 }, 60)
  assert.deepEqual(load.figures(), [
    ['publish/received/1min', (60 * (1 - Math.exp(-1))).toFixed(2)], // 37.93
    ['publish/received/5min', (60 * (1 - Math.exp(-60 / 300))).toFixed(2)], // 10.88
    ['publish/received/15min', (60 * (1 - Math.exp(-60 / 900))).toFixed(2)] // 3.87
  ])
  const before = load.figures()
  load.update({ 'publish/received': 1000 }, 0)
  assert.deepEqual(load.figures(), before, 'no time passed: nothing to average')
  // Ten seconds later at the same total: the rate of that interval is 0, and each average decays by e^(−10/window).
  load.update({ 'publish/received': 60 }, 10)
  assert.equal(load.figures()[0]![1], (60 * (1 - Math.exp(-1)) * Math.exp(-10 / 60)).toFixed(2))
})
