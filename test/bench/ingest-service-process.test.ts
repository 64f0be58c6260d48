import assert from 'node:assert/strict'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker } from '../helpers/broker.js'
import { BenchClient } from './bench-client.js'
import { IngestServiceProcess } from './ingest-service-process.js'
import { PacketIdSequence } from './publish-template.js'
import { ReadingTemplate } from './reading-template.js'

test('the bench service stores readings published through the broker, tells each stored total, and reports their latency', async (t) => {
  // Stopped in the reverse order they started: publisher, service, broker.
  const stops: Array<() => Promise<void> | void> = []
  t.after(async () => {
    for (const stop of stops.reverse()) await stop()
  })
  const broker = await startBroker({ maxInflight: 1000 })
  stops.push(() => broker.close())
  const service = await IngestServiceProcess.start(broker.url, 0)
  stops.push(async () => {
    assert.deepEqual(await service.stop(), [])
  })
  const totals: number[] = []
  service.onStored = () => totals.push(service.stored)
  const publisher = await BenchClient.open(broker.port, 'bench-test-devices')
  stops.push(() => publisher.close())
  const ids = new PacketIdSequence()
  const devices = [new ReadingTemplate('s', 'd1', 20, ids), new ReadingTemplate('s', 'd2', 21, ids)]
  const out = Buffer.alloc(devices[0].size * 100)
  for (let index = 0; index < 100; index++) devices[index % 2].writeInto(out, index * devices[0].size, Date.now())
  service.reset()
  publisher.write(out)
  const deadline = Date.now() + 10_000
  while (service.stored < 100 && Date.now() < deadline) await sleep(20)
  assert.equal(service.stored, 100)
  assert.deepEqual(
    totals,
    [...totals].sort((a, b) => a - b)
  )
  assert.equal(totals.at(-1), 100)
  const report = await service.report()
  assert.equal(report.stored, 100)
  assert.ok(report.p50Ms !== null && report.p50Ms >= 0 && report.p99Ms !== null && report.p99Ms >= report.p50Ms)
})
