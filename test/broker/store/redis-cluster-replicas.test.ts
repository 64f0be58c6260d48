import assert from 'node:assert/strict'
import { test } from 'node:test'
import { delivery, message } from '../../../broker/store/conformance.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { StoreError } from '../../../broker/store/store.js'
import { startRedisCluster } from '../../helpers/redis-cluster.js'
import { redisCli } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'

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

test('a master killed: its promoted replica acknowledges nothing until it has a replica again, and no acknowledged write is lost', async (t) => {
  const cluster = await startRedisCluster(3, 1)
  t.after(() => cluster.stop())
  const store = new RedisStore({ url: cluster.url, keyPrefix: 'failover:' })
  t.after(() => store.close())
  await store.open()
  const clientIds = Array.from({ length: 30 }, (_, i) => `dev-${i}`)
  for (const clientId of clientIds)
    store.saveSession({ clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: undefined } })
  await store.flush()
  const acknowledged: number[] = []
  /** Sessions that took a write after the master's death. */
  const resumed = new Set<string>()
  let killed = false
  let n = 0
  // Each write goes to every shard's sessions in turn; one write per flush, as a lone publisher's PUBACK waits.
  const write = async (): Promise<void> => {
    n++
    const clientId = clientIds[n % clientIds.length]
    store.saveIncomingQos2(clientId, n)
    const written = await store.flush().then(
      () => true,
      () => false
    )
    if (!written) return sleep(50)
    acknowledged.push(n)
    if (killed) resumed.add(clientId)
  }
  while (n < 100) await write()
  const [master] = cluster.ports.filter((port) => !cluster.replicaPorts.includes(port))
  await cluster.kill(master)
  killed = true
  // The sessions on the other shards go on at once; those on the dead master's slots wait: its replica, once
  // promoted, has no replica of its own to confirm a write (WAIT 1) until the old master rejoins as one.
  for (let i = 0; i < clientIds.length * 2; i++) await write()
  const others = resumed.size
  assert.ok(others > 0 && others < clientIds.length, `${others} of ${clientIds.length} sessions written with one master dead`)
  await cluster.restart(master)
  const deadline = Date.now() + 30_000
  while (resumed.size < clientIds.length) {
    assert.ok(Date.now() < deadline, `only ${resumed.size} of ${clientIds.length} sessions written within 30 s of the old master's return`)
    await write()
  }
  await store.close()
  const again = new RedisStore({ url: cluster.url, keyPrefix: 'failover:' })
  t.after(() => again.close())
  const kept = new Set((await again.open()).sessions.flatMap((session) => session.incomingQos2))
  assert.deepEqual(
    acknowledged.filter((id) => !kept.has(id)),
    [],
    'acknowledged writes missing after the promotion'
  )
})
