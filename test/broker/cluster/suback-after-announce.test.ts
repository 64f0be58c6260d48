import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisCluster } from '../../helpers/redis-cluster.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { startClusterNodes } from './cluster-nodes.js'

// SUBACK on one node waits until the new filter is known to the other nodes (its note is in Redis): a message a
// client publishes on another node as soon as the subscriber holds its SUBACK reaches the subscriber. On a Redis
// Cluster too: the note goes on a sharded channel, heard from the master that applied the change.

const topologies = [
  { name: 'one Redis', start: () => startRedisServer() },
  { name: 'a three-master Redis Cluster', start: () => startRedisCluster(3) }
]

for (const { name, start } of topologies) {
  test(`on ${name}, a QoS 1 message published on another node right after SUBACK reaches the new subscription, 20 times out of 20`, {
    timeout: 120_000
  }, async (t) => {
    const redis = await start()
    t.after(() => redis.stop())
    const [n1, n2] = await startClusterNodes(t, redis.url, 2)
    const subscriber = await connectClient(t, n1!.urls[0]!, { clientId: 'fresh-sub', protocolVersion: 5 })
    const publisher = await connectClient(t, n2!.urls[0]!, { clientId: 'eager-pub', protocolVersion: 5 })
    const missed: number[] = []
    for (let round = 1; round <= 20; round++) {
      await subscriber.client.subscribeAsync(`fresh/${round}`, { qos: 1 })
      await publisher.client.publishAsync(`fresh/${round}`, `m${round}`, { qos: 1 })
      const got = await subscriber.inbox.takeOne(3000).catch(() => undefined)
      if (got === undefined) missed.push(round)
      else assert.equal(got.payload.toString(), `m${round}`)
    }
    assert.deepEqual(missed, [], 'every message published right after its SUBACK arrived')
  })
}
