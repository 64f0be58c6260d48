import assert from 'node:assert/strict'
import { test } from 'node:test'
import { delivery, message } from '../../../broker/store/conformance.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { StoreError } from '../../../broker/store/store.js'
import { startRedisCluster } from '../../helpers/redis-cluster.js'
import { redisCli } from '../../helpers/redis-server.js'

// A Redis Cluster whose masters each have a replica: replication is asynchronous, so the store waits (WAIT 1 on each
// shard) until a replica has a batch before it acknowledges it, as under Sentinel.

test('on a Redis Cluster with replicas a batch is acknowledged once a replica of every shard it touched has it', async (t) => {
  const cluster = await startRedisCluster(3, 1)
  t.after(() => cluster.stop())
  const masters = cluster.ports.filter((port) => !cluster.replicaPorts.includes(port))
  for (const port of masters) await redisCli(port, 'config', 'resetstat')
  const store = new RedisStore({ url: cluster.url, keyPrefix: 'replicated:' })
  t.after(() => store.close())
  await store.open()
  for (let i = 0; i < 30; i++) {
    const clientId = `dev-${i}`
    store.saveSession({ clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: undefined } })
    store.queue(clientId).push(delivery(message(i + 1, 't', `m${i}`), 1))
  }
  await store.flush()
  const waits = await Promise.all(
    masters.map(async (port) => /cmdstat_wait:calls=(\d+)/.exec(await redisCli(port, 'info', 'commandstats')))
  )
  assert.ok(
    waits.every((found) => found !== null && Number(found[1]) > 0),
    'every master was asked to WAIT'
  )
  const onReplicas = await Promise.all(
    cluster.replicaPorts.map(async (port) => (await redisCli(port, 'keys', 'replicated:tp:{dev-*}:session')).trim())
  )
  assert.equal(onReplicas.join('\n').split('\n').filter(Boolean).length, 30, 'every session is on a replica')

  await cluster.kill(cluster.replicaPorts[0])
  for (let i = 0; i < 30; i++) store.saveIncomingQos2(`dev-${i}`, 1)
  await assert.rejects(store.flush(), (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error))
    assert.match(error.message, /no replica confirmed the batch within \d+ ms \(WAIT 1\)/)
    return true
  })
})
