import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { allowAll } from '../../../broker/auth/hooks.js'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { startAdminBroker } from '../../helpers/admin-broker.js'
import { countedValue, type MetricFamily, parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js'
import { endQuietly, mqttClient, rawConnect, rawSession } from '../../helpers/session-clients.js'

/** `GET /metrics` of the admin listener: Prometheus text, every metric described, counters that follow the traffic. */

/** Parsed strictly: a sample of a family without HELP and TYPE fails the parse (prometheus-text.ts). */
async function scrape(request: (path: string) => Promise<Response>): Promise<Map<string, MetricFamily>> {
  const response = await request('/metrics')
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  return parsePrometheusText(await response.text())
}

test('every metric has HELP and TYPE, counters end in _total, and the broker and process metrics are all there', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-metrics-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const running = await startAdminBroker(t, {}, { store: new SqliteStore({ dataDir: dir }) })
  const metrics = await scrape(running.request)
  for (const { name, help, type } of metrics.values()) {
    assert.ok(help.length > 0, `${name} has no HELP`)
    if (!name.startsWith('thermopost_')) continue // Node's defaults have their own names (nodejs_active_resources_total is a gauge)
    if (type === 'counter') assert.match(name, /_total$/, `counter ${name}`)
    else assert.doesNotMatch(name, /_total$/, `${type} ${name}`)
  }
  const ours = [...metrics.keys()].filter((name) => name.startsWith('thermopost_broker_'))
  assert.deepEqual(ours.sort(), [
    'thermopost_broker_authentication_failures_total',
    'thermopost_broker_bridge_connected',
    'thermopost_broker_bridge_messages_dropped_total',
    'thermopost_broker_bridge_messages_forwarded_total',
    'thermopost_broker_bridge_queued_bytes',
    'thermopost_broker_bridge_queued_messages',
    'thermopost_broker_bridge_reconnects_total',
    'thermopost_broker_clients_connected',
    'thermopost_broker_connections_total',
    'thermopost_broker_disconnections_total',
    'thermopost_broker_inflight_messages',
    'thermopost_broker_messages_dropped_total',
    'thermopost_broker_messages_received_total',
    'thermopost_broker_messages_sent_total',
    'thermopost_broker_publish_received_bytes_total',
    'thermopost_broker_publish_sent_bytes_total',
    'thermopost_broker_queued_bytes',
    'thermopost_broker_queued_messages',
    'thermopost_broker_received_bytes_total',
    'thermopost_broker_retained_messages',
    'thermopost_broker_sent_bytes_total',
    'thermopost_broker_sessions',
    'thermopost_broker_store_available',
    'thermopost_broker_store_commit_duration_seconds',
    'thermopost_broker_store_commit_operations',
    'thermopost_broker_subscriptions'
  ])
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds']) {
    assert.ok(metrics.has(name), `default metric ${name}`)
  }
})

test('counters and gauges follow connections, messages, drops, refusals and store commits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-metrics-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const auth = {
    ...allowAll,
    authenticate: ({ username }: { username: string | undefined }) =>
      username === 'intruder' ? Reason.BadUsernameOrPassword : Reason.Success,
    authorizePublish: (_client: unknown, topic: string) => !topic.startsWith('forbidden/')
  }
  const running = await startAdminBroker(t, { sysInterval: 0 }, { auth, store: new SqliteStore({ dataDir: dir }) })
  const before = await scrape(running.request)

  const subscriber = await mqttClient(t, running.url, { protocolVersion: 5 })
  await subscriber.subscribeAsync('t/#', { qos: 1 })
  const publisher = await mqttClient(t, running.url, { protocolVersion: 4 })
  const payload = Buffer.alloc(100, 0x61)
  await publisher.publishAsync('t/a', payload, { qos: 1 })
  await publisher.publishAsync('t/b', payload, { qos: 0 })
  await publisher.publishAsync('t/kept', payload, { qos: 1, retain: true })
  await publisher.publishAsync('nobody/listens', payload, { qos: 1 })
  await publisher.publishAsync('forbidden/x', payload, { qos: 1 })
  const { reply } = await rawConnect(t, running.port, 5, { username: 'intruder', password: Buffer.from('guess') })
  assert.equal((reply as { reasonCode?: number }).reasonCode, Reason.BadUsernameOrPassword)
  const goodbye = await mqttClient(t, running.url)
  await goodbye.endAsync() // with DISCONNECT
  const { client: lost } = await rawSession(t, running.port, 4)
  lost.destroy()

  const deadline = Date.now() + 3000
  let after = await scrape(running.request)
  const ended = (reason: string): number => countedValue(after, 'thermopost_broker_disconnections_total', { reason })
  while ((ended('connection_lost') < 1 || ended('client_disconnect') < 1) && Date.now() < deadline) {
    after = await scrape(running.request)
  }
  const grew = (name: string, labels: Record<string, string>, by: number): void => {
    assert.ok(
      countedValue(after, name, labels) - countedValue(before, name, labels) >= by,
      `${name}${JSON.stringify(labels)} grew by ${by} at least`
    )
  }
  grew('thermopost_broker_messages_received_total', { qos: '1' }, 4)
  grew('thermopost_broker_messages_received_total', { qos: '0' }, 1)
  grew('thermopost_broker_messages_sent_total', { qos: '1' }, 2)
  grew('thermopost_broker_messages_sent_total', { qos: '0' }, 1)
  grew('thermopost_broker_publish_received_bytes_total', { qos: '1' }, 400)
  grew('thermopost_broker_publish_sent_bytes_total', { qos: '1' }, 200)
  grew('thermopost_broker_received_bytes_total', {}, 500)
  grew('thermopost_broker_sent_bytes_total', {}, 300)
  grew('thermopost_broker_connections_total', { reason: 'success' }, 4)
  grew('thermopost_broker_connections_total', { reason: 'bad_username_or_password' }, 1)
  grew('thermopost_broker_authentication_failures_total', {}, 1)
  grew('thermopost_broker_disconnections_total', { reason: 'client_disconnect' }, 1)
  grew('thermopost_broker_disconnections_total', { reason: 'connection_lost' }, 1)
  grew('thermopost_broker_messages_dropped_total', { reason: 'no_subscriber' }, 1)
  grew('thermopost_broker_messages_dropped_total', { reason: 'acl' }, 1)
  grew('thermopost_broker_store_commit_duration_seconds_count', {}, 1)
  grew('thermopost_broker_store_commit_operations_sum', {}, 1)
  assert.equal(sampleValue(after, 'thermopost_broker_clients_connected', { listener: `mqtt:${running.port}`, protocol_version: '5.0' }), 1)
  assert.equal(
    sampleValue(after, 'thermopost_broker_clients_connected', { listener: `mqtt:${running.port}`, protocol_version: '3.1.1' }),
    1
  )
  assert.equal(sampleValue(after, 'thermopost_broker_sessions', { state: 'connected' }), 2)
  assert.equal(sampleValue(after, 'thermopost_broker_retained_messages'), 1)
  assert.equal(sampleValue(after, 'thermopost_broker_subscriptions'), 1)
  assert.equal(sampleValue(after, 'thermopost_broker_store_available'), 1)
})

test('a persistent session offline: its queue shows in queued messages and bytes, and the session as offline', async (t) => {
  const running = await startAdminBroker(t, { sysInterval: 0 })
  const clientId = 'metrics-offline'
  const sleeper = await mqttClient(t, running.url, { clientId, protocolVersion: 5, properties: { sessionExpiryInterval: 60 } })
  await sleeper.subscribeAsync('q/#', { qos: 1 })
  await endQuietly(sleeper)
  const publisher = await mqttClient(t, running.url)
  for (let i = 0; i < 3; i++) await publisher.publishAsync('q/x', Buffer.alloc(50, 0x62), { qos: 1 })
  const metrics = await scrape(running.request)
  assert.equal(sampleValue(metrics, 'thermopost_broker_queued_messages'), 3)
  assert.equal(sampleValue(metrics, 'thermopost_broker_queued_bytes'), 150)
  assert.equal(sampleValue(metrics, 'thermopost_broker_sessions', { state: 'offline' }), 1)
})

test('/metrics needs the token unless the listener is open for it; a wrong token is a JSON 401', async (t) => {
  const running = await startAdminBroker(t, {}, {}, { metricsOpen: false })
  const refused = await running.request('/metrics', { token: null })
  assert.equal(refused.status, 401)
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'unauthorized')
  assert.equal((await running.request('/metrics', { token: 'wrong-token-0123456789' })).status, 401)
  assert.equal((await running.request('/metrics')).status, 200)
  const open = await startAdminBroker(t, {}, {}, { metricsOpen: true })
  assert.equal((await open.request('/metrics', { token: null })).status, 200)
  assert.equal((await open.request('/api/clients', { token: null })).status, 401, 'an open /metrics opens nothing else')
})
