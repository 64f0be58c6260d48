import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { IDisconnectPacket } from 'mqtt-packet'
import { effectiveConfig } from '../../../broker/admin/effective-config.js'
import { resolveBrokerOptions } from '../../../broker/options.js'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import type { AdminClient, AdminRetained, AdminSession } from '../../../common/admin-api-records.js'
import { startAdminBroker } from '../../helpers/admin-broker.js'
import { endQuietly, mqttClient, rawSession } from '../../helpers/session-clients.js'
import { makeTestPki, pem } from '../../helpers/tls-certs.js'

/** The admin API under /api: the contract the dashboard's Broker page is built against. */

async function json<T>(response: Response, status = 200): Promise<T> {
  assert.equal(response.status, status, `status of ${response.url}`)
  return (await response.json()) as T
}

type Page<K extends string, T> = Record<K, T[]> & { next: string | null }

describe('admin API', { concurrency: true }, () => {
  test('every route wants the bearer token: none or a wrong one is 401 with a JSON error', async (t) => {
    const running = await startAdminBroker(t)
    for (const path of [
      '/api/clients',
      '/api/sessions',
      '/api/retained',
      '/api/retained/a/b',
      '/api/bridges',
      '/api/bridges/a',
      '/api/config',
      '/api/nothing'
    ]) {
      for (const token of [null, 'not-the-token-0123456789']) {
        const body = await json<{ error: { code: string; message: string } }>(await running.request(path, { token }), 401)
        assert.equal(body.error.code, 'unauthorized')
      }
    }
    const missing = await json<{ error: { code: string } }>(await running.request('/api/nothing'), 404)
    assert.equal(missing.error.code, 'not-found')
  })

  test('GET /api/clients lists connected clients with their listener, version, user, keepalive, subscriptions and windows', async (t) => {
    const running = await startAdminBroker(t)
    const before = Date.now()
    const alpha = await mqttClient(t, running.url, { clientId: 'alpha', username: 'ann', keepalive: 30, protocolVersion: 5 })
    await alpha.subscribeAsync({ 'a/#': { qos: 1 }, '$share/g/b/+': { qos: 0 } })
    await mqttClient(t, running.url, { clientId: 'beta', protocolVersion: 4 })
    const { clients, next } = await json<Page<'clients', AdminClient>>(await running.request('/api/clients'))
    assert.equal(next, null)
    assert.deepEqual(
      clients.map((client) => client.clientId),
      ['alpha', 'beta']
    )
    const [first, second] = clients as [AdminClient, AdminClient]
    assert.equal(first.listener, `mqtt:${running.port}`)
    assert.equal(first.protocolVersion, '5.0')
    assert.equal(second.protocolVersion, '3.1.1')
    assert.equal(first.username, 'ann')
    assert.equal(second.username, null)
    assert.equal(first.certificateCN, null)
    assert.equal(first.keepalive, 30)
    assert.match(first.address ?? '', /127\.0\.0\.1$/)
    assert.ok(first.connectedSince >= before - 1000 && first.connectedSince <= Date.now())
    assert.deepEqual(
      first.subscriptions.sort((a, b) => a.filter.localeCompare(b.filter)),
      [
        { filter: '$share/g/b/+', qos: 0 },
        { filter: 'a/#', qos: 1 }
      ]
    )
    assert.deepEqual([first.inflight, first.queued], [0, 0])
  })

  test('GET /api/clients names the certificate CN and the mqtts listener of a client that came in with a certificate', async (t) => {
    const pki = makeTestPki()
    t.after(() => pki.remove())
    const running = await startAdminBroker(t)
    const { port } = await running.broker.listen({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: 0,
      tls: { ...pki.server, cafile: pki.ca, requireCertificate: true }
    })
    const tlsOptions = { ca: pem(pki.ca), cert: pem(pki.client.cert), key: pem(pki.client.key), servername: 'localhost' }
    await mqttClient(t, `mqtts://127.0.0.1:${port}`, { clientId: 'with-cert', ...tlsOptions })
    const { clients } = await json<Page<'clients', AdminClient>>(await running.request('/api/clients'))
    assert.deepEqual(
      clients.map(({ clientId, listener, certificateCN }) => ({ clientId, listener, certificateCN })),
      [{ clientId: 'with-cert', listener: `mqtts:${port}`, certificateCN: 'alice' }]
    )
  })

  test('GET /api/clients searches client ids, user names and addresses, and pages by client id', async (t) => {
    const running = await startAdminBroker(t)
    for (const id of ['dev-1', 'dev-2', 'dev-3', 'other'])
      await mqttClient(t, running.url, { clientId: id, username: id === 'other' ? 'devops' : undefined })
    const search = await json<Page<'clients', AdminClient>>(await running.request('/api/clients?search=DEV'))
    assert.deepEqual(
      search.clients.map((client) => client.clientId),
      ['dev-1', 'dev-2', 'dev-3', 'other']
    )
    const first = await json<Page<'clients', AdminClient>>(await running.request('/api/clients?search=dev-&limit=2'))
    assert.deepEqual([first.clients.map((client) => client.clientId), first.next], [['dev-1', 'dev-2'], 'dev-2'])
    const second = await json<Page<'clients', AdminClient>>(await running.request(`/api/clients?search=dev-&limit=2&after=${first.next}`))
    assert.deepEqual([second.clients.map((client) => client.clientId), second.next], [['dev-3'], null])
    for (const limit of ['0', '1001', 'ten']) {
      const body = await json<{ error: { code: string; field: string } }>(await running.request(`/api/clients?limit=${limit}`), 400)
      assert.deepEqual([body.error.code, body.error.field], ['invalid-field', 'limit'])
    }
  })

  test('DELETE /api/clients/:clientId disconnects it (5.0: DISCONNECT 0x98 Administrative action) and answers 204', async (t) => {
    const running = await startAdminBroker(t)
    const { client } = await rawSession(t, running.port, 5, { clientId: 'kick me' })
    const response = await running.request(`/api/clients/${encodeURIComponent('kick me')}`, { method: 'DELETE' })
    assert.equal(response.status, 204)
    const packet = (await client.next()) as IDisconnectPacket
    assert.deepEqual([packet.cmd, packet.reasonCode], ['disconnect', Reason.AdministrativeAction])
    assert.ok(await client.waitClosed())
    const again = await json<{ error: { code: string } }>(await running.request('/api/clients/kick%20me', { method: 'DELETE' }), 404)
    assert.equal(again.error.code, 'not-found')
  })

  test('GET and DELETE /api/sessions: connected and offline sessions, their expiry, subscriptions and queues', async (t) => {
    const running = await startAdminBroker(t)
    const sleeper = await mqttClient(t, running.url, { clientId: 'sleeper', properties: { sessionExpiryInterval: 600 } })
    await sleeper.subscribeAsync(['s/1', 's/2'], { qos: 1 })
    await endQuietly(sleeper)
    const publisher = await mqttClient(t, running.url, { clientId: 'waker' })
    await publisher.publishAsync('s/1', 'queued', { qos: 1 })
    const { sessions, next } = await json<Page<'sessions', AdminSession>>(await running.request('/api/sessions'))
    assert.equal(next, null)
    const [offline, online] = sessions
    assert.deepEqual(
      { ...offline, expiresAt: undefined },
      { clientId: 'sleeper', connected: false, expiresAt: undefined, subscriptions: 2, queued: 1 }
    )
    assert.ok(offline!.expiresAt! > Date.now() + 590_000 && offline!.expiresAt! <= Date.now() + 600_000)
    assert.deepEqual(online, { clientId: 'waker', connected: true, expiresAt: null, subscriptions: 0, queued: 0 })
    assert.equal((await running.request('/api/sessions/sleeper', { method: 'DELETE' })).status, 204)
    const after = await json<Page<'sessions', { clientId: string }>>(await running.request('/api/sessions'))
    assert.deepEqual(
      after.sessions.map((session) => session.clientId),
      ['waker']
    )
    assert.equal(running.broker.subscriptionCount, 0, 'its subscriptions went with it')
    assert.equal((await running.request('/api/sessions/sleeper', { method: 'DELETE' })).status, 404)
  })

  test('retained messages: listed by filter and paged, read and deleted by topic; binary payloads as base64 only', async (t) => {
    const running = await startAdminBroker(t, { sysInterval: 0 })
    const publisher = await mqttClient(t, running.url)
    await publisher.publishAsync('home/a/temp', '21.5', { qos: 1, retain: true })
    await publisher.publishAsync('home/b/temp', Buffer.from([0xff, 0xfe, 0x00]), { qos: 0, retain: true })
    await publisher.publishAsync('office/temp', 'ünïcode', { qos: 1, retain: true })
    const all = await json<Page<'messages', AdminRetained>>(await running.request('/api/retained'))
    assert.deepEqual(
      all.messages.map((message) => message.topic),
      ['home/a/temp', 'home/b/temp', 'office/temp']
    )
    assert.deepEqual(all.messages[0], {
      topic: 'home/a/temp',
      qos: 1,
      size: 4,
      payload: '21.5',
      payloadBase64: Buffer.from('21.5').toString('base64')
    })
    assert.deepEqual(all.messages[1], { topic: 'home/b/temp', qos: 0, size: 3, payload: null, payloadBase64: '//4A' })
    assert.equal(all.messages[2]!.payload, 'ünïcode')
    const home = await json<Page<'messages', AdminRetained>>(
      await running.request(`/api/retained?filter=${encodeURIComponent('home/+/temp')}&limit=1`)
    )
    assert.deepEqual([home.messages.map((message) => message.topic), home.next], [['home/a/temp'], 'home/a/temp'])
    const rest = await json<Page<'messages', AdminRetained>>(
      await running.request(`/api/retained?filter=${encodeURIComponent('home/+/temp')}&limit=1&after=home/a/temp`)
    )
    assert.deepEqual([rest.messages.map((message) => message.topic), rest.next], [['home/b/temp'], null])
    const bad = await json<{ error: { code: string; field: string } }>(await running.request('/api/retained?filter=a/%23/b'), 400)
    assert.deepEqual([bad.error.code, bad.error.field], ['invalid-field', 'filter'])

    const one = await json<AdminRetained>(await running.request('/api/retained/home/a/temp'))
    assert.equal(one.payload, '21.5')
    assert.equal((await running.request('/api/retained/home/a/temp', { method: 'DELETE' })).status, 204)
    assert.equal((await running.request('/api/retained/home/a/temp')).status, 404)
    assert.equal((await running.request('/api/retained/home/a/temp', { method: 'DELETE' })).status, 404)
    const subscriber = await mqttClient(t, running.url)
    const seen: string[] = []
    subscriber.on('message', (topic) => seen.push(topic))
    await subscriber.subscribeAsync('home/#', { qos: 0 })
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(seen, ['home/b/temp'], 'a deleted retained message is not delivered to new subscribers')
  })

  test('GET /api/config: every option with its value, the token and URL passwords redacted', async (t) => {
    const config = {
      port: 1883,
      admin_token: 'a-very-secret-token-123',
      redis_url: 'redis://user:hunter2@redis:6379/0',
      cluster: 'redis://:pw@r:6379',
      bridges: [{ name: 'cloud', address: 'mqtts://site:s3cret@cloud:8883', username: 'site', password: 'bridge-secret' }]
    }
    const running = await startAdminBroker(t, {}, {}, { config: effectiveConfig(config, resolveBrokerOptions({ maxInflight: 7 })) })
    const body = await json<Record<string, unknown>>(await running.request('/api/config'))
    assert.equal(body.max_inflight, 7)
    assert.equal(body.max_queued_messages, 1000)
    assert.equal(body.port, 1883)
    assert.equal(body.admin_token, '[redacted]')
    assert.equal(body.redis_url, 'redis://user:[redacted]@redis:6379/0')
    assert.equal(body.cluster, 'redis://:[redacted]@r:6379')
    assert.deepEqual(body.bridges, [
      { name: 'cloud', address: 'mqtts://site:[redacted]@cloud:8883', username: 'site', password: '[redacted]' }
    ])
    for (const secret of ['hunter2', 'a-very-secret', 's3cret', 'bridge-secret']) assert.ok(!JSON.stringify(body).includes(secret), secret)
  })
})
