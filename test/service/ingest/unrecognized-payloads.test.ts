import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeReading } from '../../../common/contract/reading-codec.js'
import { waitFor } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { recordingLogger } from '../adapters/recording-logger.js'
import { recordingHistory, startTestService, tempDataDir } from '../core/service-fixture.js'

test('payloads no adapter reads are counted and logged, and ingest goes on', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const dataDir = tempDataDir(t)
  const history = recordingHistory(t, dataDir)
  const { logger, lines } = recordingLogger()
  const service = await startTestService(t, { urls: [running.url], dataDir, history, logger })
  const { client } = await connectClient(t, running.url, { protocolVersion: 5 })

  for (let i = 0; i < 5; i++) await client.publishAsync('thermopost/home/hall/reading', 'not a reading', { qos: 1 })
  await client.publishAsync('thermopost/home/hall/meta', '{"model": 1}', { qos: 1 })
  await client.publishAsync('tele/kitchen/SENSOR', '{broken', { qos: 1 })
  await client.publishAsync('thermopost/home/hall/reading', encodeReading({ time: 1_700_000_000_000, temperature: 19.5 }, 'json'), {
    qos: 1
  })

  await waitFor(() => history.readings.length === 1, 'the good reading after the bad ones')
  assert.equal(history.readings[0].temperature, 19.5)
  const counts = service.unrecognized.snapshot()
  assert.equal(counts.find((c) => c.adapter === 'thermopost' && c.topic === 'thermopost/home/hall/reading')?.count, 5)
  assert.ok(counts.some((c) => c.adapter === 'thermopost' && c.topic === 'thermopost/home/hall/meta'))
  assert.ok(counts.some((c) => c.adapter === 'tasmota'))
  // Rate-limited: the first one is logged at once, the rest are summed into the line written at close.
  await service.close()
  const warned = lines.filter((line) => Array.isArray(line.unrecognized))
  assert.ok(warned.length >= 1 && warned.length <= 2, `${warned.length} log lines`)
  const logged = warned.flatMap((line) => line.unrecognized as Array<{ count: number }>).reduce((sum, entry) => sum + entry.count, 0)
  assert.equal(logged, 7)
})
