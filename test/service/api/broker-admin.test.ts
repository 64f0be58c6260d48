import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import type { AdminClient, AdminPage, AdminRetained, AdminSession } from '../../../service/api/api-types.js'
import { BrokerAdminClient } from '../../../service/broker-admin/broker-admin-client.js'
import { ADMIN_TOKEN, type AdminBroker, startAdminBroker } from '../../helpers/admin-broker.js'
import { freePort } from '../../helpers/free-port.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { tempDataDir } from '../core/service-fixture.js'
import { type ApiServer, errorOf, startApi } from './api-server.js'

/** The broker's admin API relayed under the service's /api/broker/: a real broker with its admin listener behind the API. */

async function relayed(t: TestContext): Promise<{ api: ApiServer; broker: AdminBroker }> {
  const broker = await startAdminBroker(t)
  const api = await startApi(t, { brokerAdmin: new BrokerAdminClient({ url: broker.adminUrl, token: ADMIN_TOKEN }) })
  return { api, broker }
}

async function json<T>(response: Response, status = 200): Promise<T> {
  assert.equal(response.status, status, `status of ${response.url}`)
  return (await response.json()) as T
}

function remove(api: ApiServer, path: string): Promise<Response> {
  return api.get(path, { method: 'DELETE' })
}

describe('the broker admin API through the service', { concurrency: true }, () => {
  test('wants the service token or login, not the broker admin token: none or the admin one is 401', async (t) => {
    const { api } = await relayed(t)
    for (const path of ['/api/broker/clients', '/api/broker/sessions', '/api/broker/retained', '/api/broker/retained/a/b']) {
      assert.equal((await errorOf(await fetch(api.url + path))).code, 'unauthorized')
      const adminToken = await fetch(api.url + path, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      assert.equal((await errorOf(adminToken)).code, 'unauthorized')
    }
    assert.equal((await fetch(`${api.url}/api/broker/clients/x`, { method: 'DELETE' })).status, 401)
  })

  test('lists connected clients, searches and pages them, and disconnects one, which the client sees', async (t) => {
    const { api, broker } = await relayed(t)
    const kitchen = await mqttClient(t, broker.url, { clientId: 'kitchen-sensor', username: 'kim' })
    await mqttClient(t, broker.url, { clientId: 'hall-sensor' })
    const all = await json<AdminPage<'clients', AdminClient>>(await api.get('/api/broker/clients'))
    assert.deepEqual(
      all.clients.map((client) => [client.clientId, client.username, client.protocolVersion]),
      [
        ['hall-sensor', null, '5.0'],
        ['kitchen-sensor', 'kim', '5.0']
      ]
    )
    assert.equal(all.next, null)
    const found = await json<AdminPage<'clients', AdminClient>>(await api.get('/api/broker/clients?search=KIM'))
    assert.deepEqual(
      found.clients.map((client) => client.clientId),
      ['kitchen-sensor']
    )
    const firstPage = await json<AdminPage<'clients', AdminClient>>(await api.get('/api/broker/clients?limit=1'))
    assert.deepEqual([firstPage.clients.length, firstPage.next], [1, 'hall-sensor'])
    const secondPage = await json<AdminPage<'clients', AdminClient>>(await api.get('/api/broker/clients?limit=1&after=hall-sensor'))
    assert.deepEqual([secondPage.clients[0]?.clientId, secondPage.next], ['kitchen-sensor', null])

    const closed = new Promise<void>((resolve) => kitchen.once('close', () => resolve()))
    assert.equal((await remove(api, '/api/broker/clients/kitchen-sensor')).status, 204)
    await closed
    const after = await json<AdminPage<'clients', AdminClient>>(await api.get('/api/broker/clients'))
    assert.deepEqual(
      after.clients.map((client) => client.clientId),
      ['hall-sensor']
    )
  })

  test("passes the admin API's errors on in the service's shape: a 404 and a 400 naming the field", async (t) => {
    const { api } = await relayed(t)
    const missing = await errorOf(await remove(api, '/api/broker/clients/nobody'))
    assert.deepEqual(missing, { status: 404, code: 'not-found', message: 'no client connected as nobody' })
    const noSession = await errorOf(await remove(api, '/api/broker/sessions/nobody'))
    assert.deepEqual([noSession.status, noSession.code], [404, 'not-found'])
    const badFilter = await errorOf(await api.get(`/api/broker/retained?filter=${encodeURIComponent('a/#/b')}`))
    assert.deepEqual([badFilter.status, badFilter.code, badFilter.field], [400, 'invalid-field', 'filter'])
    // The service's own check comes first: the admin API never sees an unknown parameter.
    const unknown = await errorOf(await api.get('/api/broker/clients?serach=x'))
    assert.deepEqual([unknown.status, unknown.code, unknown.field], [400, 'invalid-field', 'serach'])
  })

  test('lists sessions, connected and offline with their queues, and deletes an offline one', async (t) => {
    const { api, broker } = await relayed(t)
    const away = await mqttClient(t, broker.url, { clientId: 'away', clean: false, properties: { sessionExpiryInterval: 3600 } })
    await away.subscribeAsync('news/#', { qos: 1 })
    await away.endAsync()
    await mqttClient(t, broker.url, { clientId: 'here' })
    const publisher = await mqttClient(t, broker.url, { clientId: 'publisher' })
    await publisher.publishAsync('news/today', 'queued for away', { qos: 1 })
    const { sessions } = await json<AdminPage<'sessions', AdminSession>>(await api.get('/api/broker/sessions'))
    const byId = new Map(sessions.map((session) => [session.clientId, session]))
    assert.equal(byId.get('here')?.connected, true)
    const offline = byId.get('away')
    assert.deepEqual([offline?.connected, offline?.subscriptions, offline?.queued], [false, 1, 1])
    assert.ok((offline?.expiresAt ?? 0) > Date.now())
    assert.equal((await remove(api, '/api/broker/sessions/away')).status, 204)
    const { sessions: left } = await json<AdminPage<'sessions', AdminSession>>(await api.get('/api/broker/sessions'))
    assert.equal(
      left.find((session) => session.clientId === 'away'),
      undefined
    )
  })

  test('lists retained messages under a filter, reads one whole and deletes it', async (t) => {
    const { api, broker } = await relayed(t)
    const publisher = await mqttClient(t, broker.url)
    await publisher.publishAsync('home/kitchen/status', 'online', { qos: 1, retain: true })
    await publisher.publishAsync('home/hall/meta', '{"model":"TP-100"}', { qos: 1, retain: true })
    await publisher.publishAsync('lab/raw', Buffer.from([0xff, 0x00]), { qos: 0, retain: true })
    await publisher.publishAsync('home/with space/é', 'odd topic', { qos: 0, retain: true })
    const home = await json<AdminPage<'messages', AdminRetained>>(
      await api.get(`/api/broker/retained?filter=${encodeURIComponent('home/+/status')}`)
    )
    assert.deepEqual(home, {
      messages: [
        { topic: 'home/kitchen/status', qos: 1, size: 6, payload: 'online', payloadBase64: Buffer.from('online').toString('base64') }
      ],
      next: null
    })
    const all = await json<AdminPage<'messages', AdminRetained>>(await api.get('/api/broker/retained?limit=2'))
    assert.equal(all.messages.length, 2)
    assert.equal(all.next, all.messages[1]?.topic)
    const raw = await json<AdminRetained>(await api.get('/api/broker/retained/lab/raw'))
    assert.deepEqual([raw.payload, raw.payloadBase64], [null, '/wA='])
    const odd = await json<AdminRetained>(
      await api.get(`/api/broker/retained/home/${encodeURIComponent('with space')}/${encodeURIComponent('é')}`)
    )
    assert.equal(odd.payload, 'odd topic')
    assert.equal((await remove(api, '/api/broker/retained/lab/raw')).status, 204)
    const gone = await errorOf(await api.get('/api/broker/retained/lab/raw'))
    assert.deepEqual([gone.status, gone.code, gone.message], [404, 'not-found', 'no retained message on lab/raw'])
  })

  test('503 with a clear message: no admin API configured, none listening, or one refusing the service token', async (t) => {
    const unconfigured = await startApi(t)
    const none = await errorOf(await unconfigured.get('/api/broker/clients'))
    assert.deepEqual([none.status, none.code], [503, 'broker-admin-unavailable'])
    assert.match(none.message, /--broker-admin-url/)

    const port = await freePort()
    const unreachable = await startApi(t, { brokerAdmin: new BrokerAdminClient({ url: `http://127.0.0.1:${port}`, token: ADMIN_TOKEN }) })
    const down = await errorOf(await unreachable.get('/api/broker/sessions'))
    assert.deepEqual([down.status, down.code], [503, 'broker-admin-unavailable'])
    assert.match(down.message, new RegExp(`cannot reach the broker's admin API at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`))

    const broker = await startAdminBroker(t)
    const wrong = await startApi(t, { brokerAdmin: new BrokerAdminClient({ url: broker.adminUrl, token: 'not-the-admin-token-0123' }) })
    const refused = await errorOf(await wrong.get('/api/broker/retained'))
    // Not 401: that would send the dashboard to its login form, while its login is fine.
    assert.deepEqual([refused.status, refused.code], [503, 'broker-admin-unavailable'])
    assert.match(refused.message, /refused the service's admin token/)
  })

  test('reads the admin token from a file on each request: a missing file is 503, the file once written works', async (t) => {
    const broker = await startAdminBroker(t)
    const file = join(tempDataDir(t), 'admin-token')
    const api = await startApi(t, { brokerAdmin: new BrokerAdminClient({ url: broker.adminUrl, token: { file } }) })
    const missing = await errorOf(await api.get('/api/broker/clients'))
    assert.deepEqual([missing.status, missing.code], [503, 'broker-admin-unavailable'])
    assert.match(missing.message, /cannot read the broker's admin token from .*admin-token/)
    writeFileSync(file, `${ADMIN_TOKEN}\n`, { mode: 0o600 })
    assert.deepEqual(await json(await api.get('/api/broker/clients')), { clients: [], next: null })
  })
})
