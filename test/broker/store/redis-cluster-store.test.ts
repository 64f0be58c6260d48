import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Cluster } from 'ioredis'
import { delivery, message, storeConformance } from '../../../broker/store/conformance.js'
import { RedisStore } from '../../../broker/store/redis.js'
import type { SessionRecord } from '../../../broker/store/store.js'
import { StoreOpenError } from '../../../broker/store/store-open-error.js'
import { type RunningRedisCluster, startRedisCluster } from '../../helpers/redis-cluster.js'
import { redisCli } from '../../helpers/redis-server.js'

// The Redis store on a three-master Redis Cluster: the same conformance suite as on one Redis, and the cluster's own
// rules (a MULTI touches one slot; every master holds a share and must keep what it acknowledges).

let cluster: RunningRedisCluster
test.before(async () => {
  cluster = await startRedisCluster(3)
})
test.after(() => cluster.stop())

let prefixes = 0
function freshPrefix(): string {
  return `cluster-${process.pid}-${++prefixes}:`
}

storeConformance({
  test,
  makeStore: async () => new RedisStore({ url: cluster.url, keyPrefix: freshPrefix() }),
  reopen: async (store) => {
    await store.close()
    return new RedisStore({ url: cluster.url, keyPrefix: (store as RedisStore).keys.prefix })
  },
  reportsCommits: true
})

function record(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1_700_000_000_000, owner: { username: undefined } }
}

/** A plain cluster client, for looking at where keys went, once it knows the masters; closed after the test. */
async function inspector(t: TestContext): Promise<Cluster> {
  const redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })))
  t.after(() => redis.quit())
  await once(redis, 'ready')
  return redis
}

test('one batch writing sessions on every shard commits whole, each shard answering its own MULTI', async (t) => {
  const store = new RedisStore({ url: cluster.url, keyPrefix: freshPrefix() })
  t.after(() => store.close())
  await store.open()
  const clientIds = Array.from({ length: 30 }, (_, i) => `dev-${i}`)
  for (const [i, clientId] of clientIds.entries()) {
    store.saveSession(record(clientId))
    store.queue(clientId).push(delivery(message(i + 1, `t/${i}`, `m${i}`), 1))
  }
  store.saveRetained(message(100, 'r', 'kept'))
  await store.flush()
  const redis = await inspector(t)
  const mastersHolding = await Promise.all(
    redis.nodes('master').map(async (node) => (await node.keys(`${store.keys.prefix}tp:{dev-*}:session`)).length)
  )
  assert.equal(mastersHolding.filter((count) => count > 0).length, 3, `sessions per master: ${mastersHolding}`)
  await store.close()
  const again = new RedisStore({ url: cluster.url, keyPrefix: store.keys.prefix })
  t.after(() => again.close())
  const snapshot = await again.open()
  assert.deepEqual(snapshot.sessions.map((session) => session.record.clientId).sort(), [...clientIds].sort())
  assert.equal(snapshot.lastMessageId, 100)
  assert.equal(again.queue('dev-7').length, 1)
})

test('a store of format 1 is refused on a Redis Cluster with a message saying how to upgrade it', async (t) => {
  const keyPrefix = freshPrefix()
  await (await inspector(t)).set(`${keyPrefix}tp:format`, '1')
  const store = new RedisStore({ url: cluster.url, keyPrefix })
  await assert.rejects(store.open(), (error: unknown) => {
    assert.ok(error instanceof StoreOpenError, String(error))
    assert.equal(error.code, 'OLDER_VERSION')
    assert.match(error.message, /has format 1, which a Redis Cluster cannot upgrade: open it once with a broker on a single Redis/)
    return true
  })
  await store.close()
})

test('open checks the durability settings of every master and names the one that does not fsync each write', async (t) => {
  const [, weak] = cluster.ports
  await redisCli(weak, 'config', 'set', 'appendfsync', 'everysec')
  t.after(() => redisCli(weak, 'config', 'set', 'appendfsync', 'always'))
  const said: string[] = []
  const store = new RedisStore({ url: cluster.url, keyPrefix: freshPrefix(), logger: { warn: (text) => said.push(text) } })
  t.after(() => store.close())
  await store.open()
  assert.equal(said.length, 1, said.join('\n'))
  assert.match(
    said[0],
    new RegExp(`^WARNING: Redis at 127\\.0\\.0\\.1:${weak} \\(a master of redis-cluster://.*\\) runs with appendfsync everysec`)
  )
  for (const port of cluster.ports.filter((port) => port !== weak)) assert.ok(!said[0].includes(`127.0.0.1:${port} (`), said[0])
})
