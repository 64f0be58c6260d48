import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { SessionLeases } from '../../../broker/cluster/session-lease.js'
import { delivery, message } from '../../../broker/store/conformance.js'
import { QUEUE_WINDOW } from '../../../broker/store/paged-queue.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { RedisKeys } from '../../../broker/store/redis-keys.js'
import type { SessionRecord } from '../../../broker/store/store.js'
import { assertPagesInOrderWhileGrowing } from '../../helpers/paged-queue.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'

// Session leases with an epoch: a node that lost a session's lease can no longer write for it (issue 16).

let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

let prefixes = 0

/** A node: its leases and its fenced store on a shared prefix, with the client ids whose writes it was refused. */
interface Node {
  leases: SessionLeases
  store: RedisStore
  lost: string[]
}

function redisClient(t: TestContext): Redis {
  const redis = new Redis(server.url)
  t.after(() => redis.quit())
  return redis
}

async function startNode(t: TestContext, nodeId: string, keyPrefix: string): Promise<Node> {
  const leases = new SessionLeases(redisClient(t), new RedisKeys(keyPrefix), nodeId)
  const store = new RedisStore({ url: server.url, keyPrefix, fence: leases })
  t.after(() => store.close())
  await store.open()
  const lost: string[] = []
  leases.onLost((clientId) => lost.push(clientId))
  return { leases, store, lost }
}

async function twoNodes(t: TestContext): Promise<[Node, Node, Redis, RedisKeys]> {
  const keyPrefix = `fence-${process.pid}-${++prefixes}:`
  return [await startNode(t, 'node-a', keyPrefix), await startNode(t, 'node-b', keyPrefix), redisClient(t), new RedisKeys(keyPrefix)]
}

function record(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: undefined, owner: { username: undefined } }
}

test('each claim takes the next epoch; a released lease keeps its epoch and names no holder', async (t) => {
  const [a, b, redis, keys] = await twoNodes(t)
  assert.equal(await a.leases.holder('dev'), undefined)
  assert.equal(await a.leases.claim('dev'), true)
  assert.equal(await redis.get(keys.lease('dev')), 'node-a:1')
  assert.equal(await b.leases.claim('dev', ''), false, 'not released: a conditional claim fails')
  assert.equal(await b.leases.claim('dev', 'node-a'), true)
  assert.deepEqual(await a.leases.holder('dev'), { node: 'node-b', epoch: 2 })
  await b.leases.release('dev')
  assert.deepEqual(await a.leases.holder('dev'), { node: '', epoch: 2 })
  assert.equal(await a.leases.claim('dev', ''), true)
  assert.equal(await redis.get(keys.lease('dev')), 'node-a:3')
  assert.deepEqual(await b.leases.claimedBy('node-a'), ['dev'])
})

test('a node names a session in its set before it claims it; a claim that fails takes the name out again', async (t) => {
  const [a, b] = await twoNodes(t)
  assert.equal(await a.leases.claim('dev'), true)
  await b.leases.claiming('dev') // before asking node-a to let go: a recovery of node-b would look at it
  assert.deepEqual(await a.leases.claimedBy('node-b'), ['dev'])
  assert.equal(await b.leases.claim('dev', ''), false, 'node-a did not let go')
  assert.deepEqual(await a.leases.claimedBy('node-b'), [])
  assert.equal(await a.leases.claim('dev', ['node-b', 'node-a']), true, 'a claim from any of several holders')
  assert.equal(await a.leases.claim('dev', ['node-b', '']), false)
  assert.deepEqual(await a.leases.claimedBy('node-a'), ['dev'], 'a failed claim of a lease this node holds keeps its name')
  await a.leases.release('dev')
  assert.equal(await b.leases.claim('dev', ['node-c', '']), true, 'a released lease, as a recovery adopts it')
})

test("a stale lease holder's writes are refused, the current holder's applied, and the stale node told", async (t) => {
  const [a, b, redis, keys] = await twoNodes(t)
  await a.leases.claim('dev')
  a.store.saveSession(record('dev'))
  a.store.queue('dev').push(delivery(message(1, 't', 'one'), 1))
  a.store.saveRetained(message(2, 'r', 'kept'))
  await a.store.flush()
  assert.equal(await redis.llen(keys.queue('dev')), 1)

  await b.leases.claim('dev', 'node-a') // node-a still believes it holds the lease
  a.store.queue('dev').push(delivery(message(3, 't', 'stale'), 1))
  a.store.saveIncomingQos2('dev', 7)
  a.store.saveRetained(message(4, 'r2', 'not a session write'))
  await a.store.flush()
  assert.deepEqual(a.lost, ['dev'])
  assert.equal(a.leases.tokenOf('dev'), undefined)
  assert.equal(await redis.llen(keys.queue('dev')), 1, "the stale node's push was refused")
  assert.deepEqual(await redis.smembers(keys.incoming('dev')), [])
  assert.equal(await redis.hexists(keys.retained, 'r2'), 1, 'broker-wide writes are not fenced')

  b.store.saveIncomingQos2('dev', 8)
  await b.store.flush()
  assert.deepEqual(await redis.smembers(keys.incoming('dev')), ['8'])
  assert.deepEqual(b.lost, [])
})

test('writes for a session this node holds no lease of are not sent', async (t) => {
  const [a, , redis, keys] = await twoNodes(t)
  a.store.saveSession(record('never-claimed'))
  await a.store.flush()
  assert.deepEqual(a.lost, ['never-claimed'])
  assert.equal(await redis.exists(keys.session('never-claimed')), 0)
})

test('a fenced queue pages from Redis in order, its reads travelling between fenced writes', async (t) => {
  const [a, , redis, keys] = await twoNodes(t)
  await a.leases.claim('dev')
  a.store.saveSession(record('dev'))
  await assertPagesInOrderWhileGrowing(a.store.queue('dev'), QUEUE_WINDOW * 3)
  await a.store.flush()
  assert.equal(await redis.llen(keys.queue('dev')), 0)
  assert.equal(await redis.get(keys.queueBytes('dev')), '0')
  assert.deepEqual(a.lost, [])
})
