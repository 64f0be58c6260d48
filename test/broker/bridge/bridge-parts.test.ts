import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EchoFilter } from '../../../broker/bridge/echo-filter.js'
import { restartDelay } from '../../../broker/bridge/restart-delay.js'

test('restart delay: doubles per failure from the base up to the maximum, drawn from the upper half', () => {
  const low = (failures: number): number => restartDelay(failures, 5, 30, () => 0)
  const high = (failures: number): number => restartDelay(failures, 5, 30, () => 1)
  assert.deepEqual([1, 2, 3, 4, 5, 50].map(high), [5, 10, 20, 30, 30, 30])
  assert.deepEqual([1, 2, 3, 4, 5, 50].map(low), [2.5, 5, 10, 15, 15, 15])
})

test('echo filter: one copy back per copy sent, within the window only', () => {
  let now = 0
  const echoes = new EchoFilter(1000, () => now)
  const payload = Buffer.from('21.5')
  echoes.remember('t/1', payload)
  echoes.remember('t/1', payload)
  assert.equal(echoes.isEcho('t/2', payload), false, 'another topic')
  assert.equal(echoes.isEcho('t/1', Buffer.from('21.6')), false, 'another payload')
  assert.equal(echoes.isEcho('t/1', payload), true)
  assert.equal(echoes.isEcho('t/1', payload), true)
  assert.equal(echoes.isEcho('t/1', payload), false, 'both copies came back already')
  echoes.remember('t/1', payload)
  now = 1001
  assert.equal(echoes.isEcho('t/1', payload), false, 'past the window it is somebody else’s message')
  assert.equal(echoes.size, 0)
})
