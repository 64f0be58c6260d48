import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { CommandRecord } from '../../../service/api/api-types.js'
import { startThermostat } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { type MetricFamily, parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js'
import { eventually, SERVICE_TOKEN, startServiceProcess } from '../core/service-process.js'

const INGESTED = 'thermopost_service_readings_ingested_total'
const STORED = 'thermopost_service_readings_stored_total'
const WRITES = 'thermopost_service_history_write_duration_seconds_count'

async function scrape(url: string, init: RequestInit = {}): Promise<Map<string, MetricFamily>> {
  const response = await fetch(`${url}/metrics`, init)
  assert.equal(response.status, 200, await response.clone().text())
  return parsePrometheusText(await response.text())
}

test('thermopost service on loopback: /metrics is open, every metric has HELP and TYPE, and the counters rise as readings flow', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-metrics-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const service = await startServiceProcess(t, ['--url', broker.url, '--data-dir', dir])
  const thermostat = startThermostat(t, { urls: [broker.url], initial: { temperature: 19, setpoint: 20 } })

  // Parsing is the check: a sample without HELP and TYPE before it, or a value that is no number, throws.
  const first = await eventually(
    async () => {
      const families = await scrape(service.url)
      return sampleValue(families, STORED) > 0 && sampleValue(families, 'thermopost_service_devices', { state: 'online' }) === 1
        ? families
        : undefined
    },
    () => `readings stored and the thermostat online\n${service.output()}`
  )
  for (const name of [INGESTED, STORED, 'thermopost_service_commands_total']) assert.equal(first.get(name)?.type, 'counter', name)
  for (const name of ['thermopost_service_devices', 'thermopost_service_alerts_open']) assert.equal(first.get(name)?.type, 'gauge', name)
  assert.equal(first.get('thermopost_service_history_write_duration_seconds')?.type, 'histogram')
  // The process's default metrics, under their usual names.
  for (const name of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
    'nodejs_heap_size_used_bytes'
  ])
    assert.ok(first.has(name), name)
  assert.ok(sampleValue(first, INGESTED) >= sampleValue(first, STORED))
  assert.ok(sampleValue(first, WRITES) > 0)

  const later = await eventually(
    async () => {
      const families = await scrape(service.url)
      return sampleValue(families, STORED) > sampleValue(first, STORED) + 5 ? families : undefined
    },
    () => `more readings stored\n${service.output()}`
  )
  assert.ok(sampleValue(later, INGESTED) > sampleValue(first, INGESTED))
  assert.ok(sampleValue(later, WRITES) > sampleValue(first, WRITES))

  // A setpoint through the API: the command's changes are counted, and the request is timed by its route.
  const command = await service.api<CommandRecord>('/api/devices/home%2Froom-1/setpoint', {
    method: 'POST',
    body: JSON.stringify({ value: 22.5 })
  })
  await eventually(
    async () => (thermostat.model.setpoint === 22.5 ? true : undefined),
    () => `the setpoint ${command.id} applied`
  )
  const afterCommand = await eventually(
    async () => {
      const families = await scrape(service.url)
      return sampleValue(families, 'thermopost_service_commands_total', { state: 'acked' }) === 1 ? families : undefined
    },
    () => `the ack counted\n${service.output()}`
  )
  // `sent` is recorded only when the broker's PUBACK comes before the device's ack, which it need not.
  assert.ok(sampleValue(afterCommand, 'thermopost_service_commands_total', { state: 'sent' }) <= 1)
  assert.equal(sampleValue(afterCommand, 'thermopost_service_commands_total', { state: 'timed-out' }), 0)
  assert.equal(
    sampleValue(afterCommand, 'thermopost_service_http_request_duration_seconds_count', {
      route: '/api/devices/:id/setpoint',
      method: 'POST',
      status: '202'
    }),
    1
  )
  assert.equal(await service.stop(), 0)
})

test('thermopost service on a non-loopback address: /metrics wants the token', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-metrics-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const service = await startServiceProcess(t, ['--url', broker.url, '--data-dir', dir, '--http-host', '0.0.0.0'])
  const local = service.url.replace('0.0.0.0', '127.0.0.1')
  assert.equal((await fetch(`${local}/metrics`)).status, 401)
  const families = await scrape(local, { headers: { authorization: `Bearer ${SERVICE_TOKEN}` } })
  assert.ok(families.has(STORED))
  assert.equal(await service.stop(), 0)
})
