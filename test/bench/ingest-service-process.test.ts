import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker } from '../helpers/broker.js'
import { IngestServiceProcess } from './ingest-service-process.js'
import { buildNativePrograms } from './native-build.js'
import { startNativeIngest } from './native-load-generator.js'
import { readingTemplates } from './reading-template.js'

before(() => buildNativePrograms())

test("the bench service stores the native generator's readings through the broker, tells each stored total, and reports their latency", async (t) => {
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
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-ingest-test-'))
  stops.push(() => rmSync(dir, { recursive: true, force: true }))
  const templates = join(dir, 'readings.bin')
  writeFileSync(templates, readingTemplates([20, 21].map((temperature, n) => ({ site: 's', device: `d${n}`, temperature }))))
  const generator = await startNativeIngest(broker.port, 2, templates)
  stops.push(() => generator.kill())
  service.reset()
  generator.reset()
  generator.command('credit 60')
  generator.command('credit 40')
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
  const fed = await generator.report()
  assert.deepEqual([fed.published, fed.acked, fed.open, fed.lost], [100, 100, 2, 0])
  assert.ok(report.p50Ms !== null && report.p50Ms >= 0 && report.p99Ms !== null && report.p99Ms >= report.p50Ms)
})
