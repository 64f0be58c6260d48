import assert from 'node:assert/strict'
import { test } from 'node:test'
import { waitFor } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { RawDevice, recordingHistory, startTestService, tempDataDir } from '../core/service-fixture.js'

test('two instances split the readings, each stored once, and both know every device', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const dirA = tempDataDir(t)
  const dirB = tempDataDir(t)
  const historyA = recordingHistory(t, dirA)
  const historyB = recordingHistory(t, dirB)
  const a = await startTestService(t, { urls: [running.url], dataDir: dirA, history: historyA, clientId: 'service-a' })
  const b = await startTestService(t, { urls: [running.url], dataDir: dirB, history: historyB, clientId: 'service-b' })

  const devices = await Promise.all(['hall', 'loft', 'cellar'].map((name) => RawDevice.connect(t, running.url, 'home', name)))
  const perDevice = 10
  for (let i = 0; i < perDevice; i++) {
    await Promise.all(devices.map((device) => device.reading({ time: 1_700_000_000_000 + i, temperature: 20 + i })))
  }
  const total = devices.length * perDevice
  await waitFor(() => historyA.readings.length + historyB.readings.length >= total, 'every reading stored')
  await new Promise((resolve) => setTimeout(resolve, 200))

  const keys = [...historyA.readings, ...historyB.readings].map((r) => `${r.deviceId}@${r.time}`)
  assert.equal(keys.length, total, 'no reading stored twice')
  assert.equal(new Set(keys).size, total)
  assert.ok(historyA.readings.length > 0 && historyB.readings.length > 0, `split ${historyA.readings.length}/${historyB.readings.length}`)
  for (const service of [a, b]) {
    await waitFor(() => service.devices.list().filter((d) => d.state === 'online').length === 3, 'every device online in both')
    assert.deepEqual(
      service.devices.list().map((d) => d.id),
      ['home/cellar', 'home/hall', 'home/loft']
    )
  }
})
