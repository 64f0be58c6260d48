import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { type AdminCliBroker, startAdminCliBroker } from '../../helpers/admin-cli-broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { type MetricFamily, sampleValue } from '../../helpers/prometheus-text.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { filterKnown, redisClient } from './cluster-nodes.js'

// A cluster node's metrics on its admin listener: two `thermopost broker --cluster` nodes on a real redis-server,
// messages relayed between them, and one node killed so that the other adopts its session.

function startMetricsNode(t: TestContext, redisUrl: string, nodeId: string): Promise<AdminCliBroker> {
  return startAdminCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--cluster', redisUrl, '--node-id', nodeId, '--sys-interval', '0'])
}

/** Scrapes until `check` holds; the last scrape. */
async function scrapeUntil(
  node: AdminCliBroker,
  what: string,
  check: (metrics: Map<string, MetricFamily>) => boolean,
  timeoutMs = 15_000
): Promise<Map<string, MetricFamily>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const metrics = await node.scrape()
    if (check(metrics)) return metrics
    assert.ok(Date.now() < deadline, `not within ${timeoutMs} ms: ${what}`)
    await sleep(100)
  }
}

test('a cluster node exports its members, its member id, relayed messages, adopted sessions, stream and Redis figures', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const n1 = await startMetricsNode(t, redis.url, 'n1')
  const n2 = await startMetricsNode(t, redis.url, 'n2')
  const looker = redisClient(t, redis.url)

  const subscriber = await mqttClient(t, n2.mqttUrl, { clientId: 'metrics-sub', properties: { sessionExpiryInterval: 300 } })
  const inbox = new Inbox(subscriber)
  await subscriber.subscribeAsync('room/#', { qos: 1 })
  await filterKnown(looker, 'n2', 'room/#')
  const publisher = await mqttClient(t, n1.mqttUrl)
  for (let i = 0; i < 3; i++) await publisher.publishAsync('room/1', String(i), { qos: 1 })
  await inbox.take(3)

  const relayed = (metrics: Map<string, MetricFamily>, direction: string): number =>
    sampleValue(metrics, 'thermopost_broker_cluster_messages_relayed_total', { direction })
  const first = await scrapeUntil(
    n1,
    'both members alive and a liveness renewal timed',
    (metrics) =>
      sampleValue(metrics, 'thermopost_broker_cluster_members_alive') === 2 &&
      sampleValue(metrics, 'thermopost_broker_cluster_liveness_renewal_seconds') > 0
  )
  assert.ok(relayed(first, 'out') >= 3, `relayed out: ${relayed(first, 'out')}`)
  const info = first.get('thermopost_broker_cluster_member_info')!.samples
  assert.equal(info.length, 1)
  assert.equal(info[0]!.labels.node, 'n1')
  assert.match(info[0]!.labels.member ?? '', /^n1@/)
  assert.equal(info[0]!.value, 1)
  assert.equal(sampleValue(first, 'thermopost_broker_cluster_stream_pending_entries'), 0)
  assert.equal(sampleValue(first, 'thermopost_broker_cluster_sessions_adopted_total'), 0)
  for (const kind of ['connection', 'command']) assert.ok(sampleValue(first, 'thermopost_broker_cluster_redis_errors_total', { kind }) >= 0)
  const atN2 = await n2.scrape()
  assert.ok(relayed(atN2, 'in') >= 3, `relayed in at n2: ${relayed(atN2, 'in')}`)

  // n2 dies: n1 finds it dead, adopts its session, and counts one member alive.
  n2.cli.child.kill('SIGKILL')
  const after = await scrapeUntil(
    n1,
    "n2's session adopted",
    (metrics) => sampleValue(metrics, 'thermopost_broker_cluster_sessions_adopted_total') >= 1
  )
  assert.equal(sampleValue(after, 'thermopost_broker_cluster_sessions_adopted_total'), 1)
  assert.equal(sampleValue(after, 'thermopost_broker_cluster_members_alive'), 1)
})
