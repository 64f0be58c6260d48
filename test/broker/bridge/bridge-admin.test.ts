import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import type { AdminBridge } from '../../../broker/admin/admin-records.js'
import { Broker } from '../../../broker/broker.js'
import { startAdminBroker } from '../../helpers/admin-broker.js'
import { bridgeSettings, until, untilBridge } from '../../helpers/bridged-brokers.js'
import { freePort } from '../../helpers/free-port.js'
import { type MetricFamily, parsePrometheusText, sampleValue } from '../../helpers/prometheus-text.js'
import { mqttClient } from '../../helpers/session-clients.js'

// A bridge's state in the admin API (GET /api/bridges, /api/bridges/:name) and in /metrics: two of our brokers,
// a site bridged to a cloud that goes away and comes back on the same port.

/** One of our brokers as the remote, on `port`; closed after the test (or before, by the test). */
async function startCloud(t: TestContext, port: number): Promise<Broker> {
  const cloud = new Broker({ sysInterval: 0 })
  await cloud.listen({ host: '127.0.0.1', port })
  t.after(() => cloud.close())
  return cloud
}

test('GET /api/bridges and the bridge metrics follow the link, the counters, the queue and a reconnection', async (t) => {
  const cloudPort = await freePort()
  let cloud = await startCloud(t, cloudPort)
  const settings = bridgeSettings(
    'cloud',
    `mqtt://site:secret@127.0.0.1:${cloudPort}`,
    [
      { pattern: 'readings/#', direction: 'out' },
      { pattern: 'commands/#', direction: 'in' }
    ],
    { queueMaxMessages: 2 }
  )
  const site = await startAdminBroker(t, { sysInterval: 0 }, { bridges: { settings: [settings], node: 'site' } })
  const before = Date.now()
  await untilBridge(site.broker, 'cloud')
  const bridge = async (): Promise<AdminBridge> => {
    const response = await site.request('/api/bridges')
    assert.equal(response.status, 200)
    const { bridges } = (await response.json()) as { bridges: AdminBridge[] }
    assert.equal(bridges.length, 1)
    return bridges[0]!
  }
  const metrics = async (): Promise<Map<string, MetricFamily>> => parsePrometheusText(await (await site.request('/metrics')).text())
  const state = site.broker.bridges!.states().get('cloud')!

  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', 'm1', { qos: 1 })
  await sensor.publishAsync('readings/t1', 'm2', { qos: 1 })
  const operator = await mqttClient(t, `mqtt://127.0.0.1:${cloudPort}`)
  await operator.publishAsync('commands/t1', 'c1', { qos: 1 })
  await until('forwarded both ways', () => state.forwardedOut === 2 && state.forwardedIn === 1)

  const up = await bridge()
  assert.ok(up.connectedSince !== null && up.connectedSince >= before - 1000 && up.connectedSince <= Date.now())
  assert.deepEqual(
    { ...up, connectedSince: 0 },
    {
      name: 'cloud',
      address: `mqtt://site:[redacted]@127.0.0.1:${cloudPort}`,
      state: 'connected',
      connectedSince: 0,
      queue: { messages: 0, bytes: 0 },
      forwarded: { in: 1, out: 2 },
      dropped: { queue_full: 0, refused: 0, loop: 0 },
      reconnects: 0
    }
  )
  const byName = await site.request('/api/bridges/cloud')
  assert.deepEqual(await byName.json(), up)
  const missing = await site.request('/api/bridges/elsewhere')
  assert.equal(missing.status, 404)
  assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'not-found')
  let scraped = await metrics()
  const bridgeLabel = { bridge: 'cloud' }
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_connected', bridgeLabel), 1)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_messages_forwarded_total', { ...bridgeLabel, direction: 'out' }), 2)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_messages_forwarded_total', { ...bridgeLabel, direction: 'in' }), 1)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_reconnects_total', bridgeLabel), 0)

  // The remote goes away: three messages for a queue of two, the oldest dropped.
  await cloud.close()
  await untilBridge(site.broker, 'cloud', false)
  for (const payload of ['m3', 'm4', 'm5']) await sensor.publishAsync('readings/t1', payload, { qos: 1 })
  const down = await bridge()
  assert.equal(down.state, 'disconnected')
  assert.equal(down.connectedSince, null)
  assert.deepEqual(down.queue, { messages: 2, bytes: 4 })
  assert.deepEqual(down.dropped, { queue_full: 1, refused: 0, loop: 0 })
  scraped = await metrics()
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_connected', bridgeLabel), 0)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_queued_messages', bridgeLabel), 2)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_queued_bytes', bridgeLabel), 4)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_messages_dropped_total', { ...bridgeLabel, reason: 'queue_full' }), 1)

  // It comes back: the queue drains and the link counts as a reconnection.
  cloud = await startCloud(t, cloudPort)
  await untilBridge(site.broker, 'cloud')
  await until('the queue forwarded', () => state.forwardedOut === 4)
  const again = await bridge()
  assert.equal(again.state, 'connected')
  assert.equal(again.reconnects, 1)
  assert.deepEqual(again.queue, { messages: 0, bytes: 0 })
  scraped = await metrics()
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_reconnects_total', bridgeLabel), 1)
  assert.equal(sampleValue(scraped, 'thermopost_broker_bridge_connected', bridgeLabel), 1)
})

test('a broker without bridges lists none, and GET /api/bridges/:name is a 404 in the admin error shape', async (t) => {
  const running = await startAdminBroker(t)
  assert.deepEqual(await (await running.request('/api/bridges')).json(), { bridges: [] })
  const missing = await running.request('/api/bridges/cloud')
  assert.equal(missing.status, 404)
  assert.deepEqual(await missing.json(), { error: { code: 'not-found', message: 'no bridge named cloud' } })
})
