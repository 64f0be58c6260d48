import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '../../devices/helpers/device-fixture.js'
import { RawDevice, serviceSetup } from '../core/service-fixture.js'

// A QoS 1 reading is acknowledged to the broker only once the batch holding it is stored: a service that
// dies while its store is still writing leaves the reading in its session, and the next instance gets it.

test('a reading whose write never finished is delivered again to the next instance of the service', async (t) => {
  const { running, history, start } = await serviceSetup(t)
  history.hang = true
  const first = await start({ clientId: 'service-a', timing: { closeTimeoutMs: 100 } })

  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ time: 1_700_000_000_000, temperature: 20.5 })
  await waitFor(() => history.batches.length === 1, 'the first write')
  await first.close()

  history.hang = false
  const second = await start({ clientId: 'service-a' })
  await waitFor(() => history.batches.length === 2, 'the reading delivered again')
  assert.deepEqual(
    history.batches.map((batch) => batch.map((r) => [r.deviceId, r.time, r.temperature])),
    [[['home/hall', 1_700_000_000_000, 20.5]], [['home/hall', 1_700_000_000_000, 20.5]]]
  )
  const series = await second.history.query({ deviceId: 'home/hall', from: 0, to: 2e12, resolution: 'raw' })
  assert.equal(series.points.length, 1)
})

test('a stored reading is acknowledged: the next instance does not get it again', async (t) => {
  const { running, history, start } = await serviceSetup(t)
  const first = await start({ clientId: 'service-a' })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ time: 1_700_000_000_000, temperature: 20.5 })
  await waitFor(() => history.readings.length === 1, 'the write')
  await first.close()

  await device.reading({ time: 1_700_000_001_000, temperature: 21 })
  await start({ clientId: 'service-a' })
  await waitFor(() => history.readings.length === 2, 'the reading queued while the service was down')
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.deepEqual(
    history.readings.map((r) => r.time),
    [1_700_000_000_000, 1_700_000_001_000]
  )
})

test('a slow store batches readings and holds the rest back, losing none', async (t) => {
  const { running, history, start } = await serviceSetup(t)
  history.delayMs = 40
  await start({ timing: { batch: { maxBatch: 20, maxPending: 20 } } })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  const count = 300
  await Promise.all(Array.from({ length: count }, (_, i) => device.reading({ time: 1_700_000_000_000 + i, temperature: 20 })))

  await waitFor(() => history.readings.length >= count, 'every reading written', 10_000)
  const times = new Set(history.readings.map((r) => r.time))
  assert.equal(times.size, count)
  // Group commit: far fewer writes than readings, none beyond what the pending bound lets through.
  assert.ok(history.batches.length < count / 4, `${history.batches.length} writes for ${count} readings`)
  assert.ok(Math.max(...history.batches.map((batch) => batch.length)) <= 40)
})
