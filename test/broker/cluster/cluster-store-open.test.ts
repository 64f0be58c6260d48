import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SessionLeases } from '../../../broker/cluster/session-lease.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { RedisKeys } from '../../../broker/store/redis-keys.js'
import { startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { connectClient, goOffline } from '../../helpers/flow-clients.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { startRedisServer } from '../../helpers/redis-server.js'

// A cluster node's store.open() reads the sessions this node holds leases for, not every node's: a node restarting
// in a cluster of many reads its own share.

const persistent = { clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }

test("store.open() of a node reads only the sessions it claimed, not the other node's", async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const cluster = new InProcessCluster()
  const keyPrefix = 'open:'
  const a = await startClusterSessionNode(t, cluster, redis.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, redis.url, keyPrefix, 'node-b')
  for (const [node, ids] of [
    [a, ['a1', 'a2', 'a3']],
    [b, ['b1', 'b2']]
  ] as const) {
    for (const clientId of ids) {
      const client = await connectClient(t, node.url, { ...persistent, clientId })
      await client.client.subscribeAsync(`of/${clientId}`, { qos: 1 })
      await goOffline(client.client)
    }
  }

  const opened = async (fence?: SessionLeases): Promise<string[]> => {
    const store = new RedisStore({ url: redis.url, keyPrefix, fence })
    t.after(() => store.close())
    return (await store.open()).sessions.map((session) => session.record.clientId).sort()
  }
  const keys = new RedisKeys(keyPrefix)
  const leasesOf = async (nodeId: string): Promise<SessionLeases> => {
    const leases = await SessionLeases.connect(redis.url, keys, nodeId)
    t.after(() => leases.close())
    return leases
  }
  assert.deepEqual(await opened(), ['a1', 'a2', 'a3', 'b1', 'b2'], 'a store outside the cluster reads them all')
  assert.deepEqual(await opened(await leasesOf('node-a')), ['a1', 'a2', 'a3'])
  assert.deepEqual(await opened(await leasesOf('node-b')), ['b1', 'b2'])
  assert.deepEqual(await opened(await leasesOf('node-c')), [], 'a new node reads none')
})
