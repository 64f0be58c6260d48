import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ServiceMetrics } from '../../../service/metrics/service-metrics.js'
import { parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js'
import { errorOf, startApi } from '../api/api-server.js'

const DURATION = 'thermopost_service_http_request_duration_seconds'

test('/metrics, open: devices by state and open alerts as the API sees them, and every API request timed by its route', async (t) => {
  const metrics = new ServiceMetrics()
  const api = await startApi(t, { metrics, metricsOpen: true })
  metrics.watch({ devices: api.devices, alerts: api.alerts })
  assert.equal((await api.get('/api/devices/home%2Fliving-room')).status, 200)
  assert.equal((await api.get('/api/devices/home%2Fnowhere')).status, 404)
  assert.equal((await api.get('/api/no-such-route')).status, 404)
  assert.equal((await fetch(`${api.url}/api/devices`)).status, 401)

  const response = await fetch(`${api.url}/metrics`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  assert.equal(response.headers.get('cache-control'), 'no-store')
  const families = parsePrometheusText(await response.text())
  for (const family of families.values()) assert.ok(family.help.length > 10 && family.samples.length > 0, family.name)

  assert.equal(families.get('thermopost_service_devices')?.type, 'gauge')
  assert.deepEqual(
    Object.fromEntries(families.get('thermopost_service_devices')!.samples.map(({ labels, value }) => [labels.state, value])),
    { online: 1, offline: 1, stale: 0, unknown: 0 }
  )
  // a1 is raised (warning), a2 cleared (critical).
  assert.equal(sampleValue(families, 'thermopost_service_alerts_open', { severity: 'warning' }), 1)
  assert.equal(sampleValue(families, 'thermopost_service_alerts_open', { severity: 'critical' }), 0)
  assert.equal(families.get(DURATION)?.type, 'histogram')
  assert.equal(sampleValue(families, `${DURATION}_count`, { route: '/api/devices/:id', method: 'GET', status: '200' }), 1)
  assert.equal(sampleValue(families, `${DURATION}_count`, { route: '/api/devices/:id', method: 'GET', status: '404' }), 1)
  assert.equal(sampleValue(families, `${DURATION}_count`, { route: 'unmatched', method: 'GET', status: '404' }), 1)
  assert.equal(sampleValue(families, `${DURATION}_count`, { route: 'unmatched', method: 'GET', status: '401' }), 1)
  // No series names a device or a raw path.
  const routes = new Set(families.get(DURATION)!.samples.map((sample) => sample.labels.route))
  assert.deepEqual([...routes].sort(), ['/api/devices/:id', 'unmatched'])
  for (const state of ['queued', 'sent', 'acked', 'refused', 'expired', 'timed-out'])
    assert.equal(sampleValue(families, 'thermopost_service_commands_total', { state }), 0, state)
})

test('/metrics off loopback wants the API token, and answers 401 as the API does', async (t) => {
  const metrics = new ServiceMetrics()
  const api = await startApi(t, { metrics, metricsOpen: false })
  const refused = await fetch(`${api.url}/metrics`)
  assert.deepEqual(await errorOf(refused), {
    status: 401,
    code: 'unauthorized',
    message: (await errorOf(await fetch(`${api.url}/api/devices`))).message
  })
  const wrong = await fetch(`${api.url}/metrics`, { headers: { authorization: 'Bearer not-the-token-at-all-0123456789' } })
  assert.equal(wrong.status, 401)
  const allowed = await api.get('/metrics')
  assert.equal(allowed.status, 200)
  assert.ok(parsePrometheusText(await allowed.text()).has('thermopost_service_readings_stored_total'))
})

test('without metrics there is no /metrics, and the API times nothing', async (t) => {
  const api = await startApi(t)
  assert.equal((await fetch(`${api.url}/metrics`)).status, 404)
})
