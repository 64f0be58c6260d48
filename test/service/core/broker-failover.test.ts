import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { waitFor } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { RawDevice, recordingHistory, startTestService, tempDataDir } from './service-fixture.js'

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('the service fails over to the next broker URL when the first cannot be reached', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const dataDir = tempDataDir(t)
  const history = recordingHistory(t, dataDir)
  const service = await startTestService(t, { urls: [`mqtt://127.0.0.1:${await deadPort()}`, running.url], dataDir, history })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ time: 1_700_000_000_000, temperature: 20 })
  await waitFor(() => history.readings.length === 1, 'the reading through the second broker')
  assert.equal(service.devices.get('home/hall')?.state, 'online')
})
