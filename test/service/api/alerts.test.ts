import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AlertRecord } from '../../../service/api/api-types.js'
import { errorOf, startApi } from './api-server.js'

async function alertIds(response: Response): Promise<string[]> {
  assert.equal(response.status, 200)
  return ((await response.json()) as { alerts: AlertRecord[] }).alerts.map((alert) => alert.id)
}

test('GET /api/alerts lists alerts, by state and by device', async (t) => {
  const api = await startApi(t)
  assert.deepEqual(await alertIds(await api.get('/api/alerts')), ['a1', 'a2'])
  assert.deepEqual(await alertIds(await api.get('/api/alerts?state=raised')), ['a1'])
  assert.deepEqual(await alertIds(await api.get('/api/alerts?device=lab%2Ffreezer')), ['a2'])
  const bad = await errorOf(await api.get('/api/alerts?state=open'))
  assert.deepEqual([bad.status, bad.field], [400, 'state'])
})

test('POST /api/alerts/:id/acknowledge acknowledges it; an unknown alert is 404', async (t) => {
  const api = await startApi(t)
  const response = await api.post('/api/alerts/a1/acknowledge', {})
  assert.equal(response.status, 200)
  const alert = (await response.json()) as AlertRecord
  assert.deepEqual([alert.id, alert.state, typeof alert.acknowledgedAt], ['a1', 'acknowledged', 'number'])
  const unknown = await errorOf(await api.post('/api/alerts/a404/acknowledge', {}))
  assert.deepEqual([unknown.status, unknown.code], [404, 'unknown-alert'])
})
