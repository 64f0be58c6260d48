import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { errorOf, startApi } from './api-server.js'

test('GET /api/broker answers the broker figures from $SYS', async (t) => {
  const api = await startApi(t)
  const response = await api.get('/api/broker')
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { clientsConnected: 3, version: 'thermopost 0.1.0', updatedAt: Date.UTC(2026, 0, 5, 10) })
})

test('an unknown route or method under /api is a JSON 404; answers are never cached', async (t) => {
  const api = await startApi(t)
  for (const [method, path] of [
    ['GET', '/api/nothing'],
    ['DELETE', '/api/devices'],
    ['GET', '/api/devices/home%2Fliving-room/readings.json']
  ]) {
    const response = await api.get(path!, { method })
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await errorOf(response), { status: 404, code: 'not-found', message: `no such resource: ${method} ${path}` })
  }
  const devices = await api.get('/api/devices')
  assert.equal(devices.headers.get('x-content-type-options'), 'nosniff')
  assert.equal(devices.headers.get('x-powered-by'), null)
})

test('the dashboard directory is served at /, outside the API and without a token', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-static-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'index.html'), '<title>thermopost</title>')
  const api = await startApi(t, { staticDir: dir })
  const page = await fetch(`${api.url}/`)
  assert.equal(page.status, 200)
  assert.match(page.headers.get('content-type')!, /^text\/html/)
  assert.equal(await page.text(), '<title>thermopost</title>')
  assert.equal((await fetch(`${api.url}/api/devices`)).status, 401, 'the API still wants its token')
})
