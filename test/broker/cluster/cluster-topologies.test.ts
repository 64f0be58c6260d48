import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { Reason } from '../../../broker/protocol/reason-codes.js'
import { connectRedis, type RedisClient } from '../../../broker/store/redis-connection.js'
import { connectClient, connectRaw, rawSubscribe } from '../../helpers/flow-clients.js'
import type { Received } from '../../helpers/mqtt-inbox.js'
import { startRedisCluster } from '../../helpers/redis-cluster.js'
import { startRedisSentinel } from '../../helpers/redis-sentinel.js'
import { expectDisconnect } from '../../helpers/session-clients.js'
import { filterKnown, startClusterNodes } from './cluster-nodes.js'

// The cluster's own connections (membership, filters, streams, leases, pub/sub) take every form of Redis URL the
// store does: two nodes on a three-master Redis Cluster, and two on one Redis under Sentinel, route, take sessions
// over and share retained messages as on one redis-server.

/** A client for looking at the cluster's keys through the same URL; closed after the test. */
async function lookingClient(t: TestContext, url: string): Promise<RedisClient> {
  const { client } = connectRedis(url)
  client.on('error', () => {})
  await client.connect()
  t.after(() => client.disconnect())
  return client
}

const persistent = { clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }

async function twoNodesWork(t: TestContext, url: string): Promise<void> {
  const [n1, n2] = await startClusterNodes(t, url, 2)
  const look = await lookingClient(t, url)

  const subscriber = await connectClient(t, n2!.urls[0]!, { clientId: 'far-sub', protocolVersion: 5 })
  await subscriber.client.subscribeAsync('plant/+/temp', { qos: 1 })
  await filterKnown(look, 'n2', 'plant/+/temp')
  const publisher = await connectClient(t, n1!.urls[0]!, { clientId: 'near-pub', protocolVersion: 5 })
  for (let i = 0; i < 5; i++) await publisher.client.publishAsync('plant/a/temp', `t${i}`, { qos: 1 })
  const got = await subscriber.inbox.take(5, 5000)
  assert.deepEqual(
    got.map((m) => [m.payload.toString(), m.packet.qos]),
    [0, 1, 2, 3, 4].map((i) => [`t${i}`, 1])
  )

  const old = await connectRaw(t, Number(new URL(n1!.urls[0]!).port), 5, { clientId: 'mover', ...persistent })
  assert.deepEqual(await rawSubscribe(old, [{ topic: 'move/#', qos: 1 }]), [1])
  const taker = await connectClient(t, n2!.urls[0]!, { ...persistent, clientId: 'mover' })
  assert.equal(taker.connack.sessionPresent, true)
  await expectDisconnect(old.raw, Reason.SessionTakenOver)
  await filterKnown(look, 'n2', 'move/#')
  await publisher.client.publishAsync('move/1', 'after the move', { qos: 1 })
  assert.equal((await taker.inbox.takeOne(5000)).payload.toString(), 'after the move')

  await publisher.client.publishAsync('site/a/setpoint', '21.5', { qos: 1, retain: true })
  const late = await connectClient(t, n2!.urls[0]!, { clientId: 'late', protocolVersion: 5 })
  // The retained copy reaches n2's tree through its stream, shortly after the PUBACK: subscribe again until it is there
  // (a subscription sends the retained messages every time).
  let retained: Received | undefined
  for (let attempt = 0; retained === undefined && attempt < 10; attempt++) {
    await late.client.subscribeAsync('site/+/setpoint', { qos: 1 })
    retained = await late.inbox.takeOne(500).catch(() => undefined)
  }
  assert.ok(retained !== undefined, 'n2 never had the retained message')
  assert.deepEqual([retained.topic, retained.payload.toString(), retained.packet.retain], ['site/a/setpoint', '21.5', true])
}

const topologies = [
  { name: 'a three-master Redis Cluster', start: () => startRedisCluster(3) },
  { name: 'one Redis under Sentinel', start: () => startRedisSentinel(1) }
]

for (const { name, start } of topologies) {
  test(`two nodes on ${name}: cross-node QoS 1, a session taken over, retained seen from the other`, { timeout: 120_000 }, async (t) => {
    const redis = await start()
    t.after(() => redis.stop())
    await twoNodesWork(t, redis.url)
  })
}
