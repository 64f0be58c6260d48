import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { LiveEvent } from '../../../service/api/api-types.js'
import { LiveHub } from '../../../service/live/live-hub.js'
import { recordingLogger } from '../adapters/recording-logger.js'

function reading(temperature: number): LiveEvent {
  return { type: 'reading', reading: { deviceId: 'home/hall', site: 'home', device: 'hall', source: 'thermopost', time: 0, temperature } }
}

test('each subscriber gets every event in order, after the emitting call', async () => {
  const hub = new LiveHub(recordingLogger().logger)
  const seen: number[] = []
  hub.subscribe((event) => {
    if (event.type === 'reading') seen.push(event.reading.temperature)
  })
  hub.emit(reading(1))
  hub.emit(reading(2))
  assert.deepEqual(seen, [], 'not inside emit')
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(seen, [1, 2])
})

test('a subscriber that falls behind loses its oldest events, and the others lose nothing', async () => {
  const { logger, lines } = recordingLogger()
  const hub = new LiveHub(logger, { maxQueued: 3 })
  const seen: number[] = []
  const stop = hub.subscribe((event) => {
    if (event.type === 'reading') seen.push(event.reading.temperature)
  })
  for (let i = 1; i <= 10; i++) hub.emit(reading(i))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(seen, [8, 9, 10])
  assert.equal(lines.filter((line) => line.dropped === 7).length, 1)

  stop()
  hub.emit(reading(11))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(seen, [8, 9, 10], 'nothing after unsubscribing')
})

test('a listener that throws does not stop the others', async () => {
  const hub = new LiveHub(recordingLogger().logger)
  const seen: string[] = []
  hub.subscribe(() => {
    throw new Error('broken')
  })
  hub.subscribe((event) => seen.push(event.type))
  hub.emit(reading(1))
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(seen, ['reading'])
})
