import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { delivery, drainQueue, message, storeConformance } from '../../../broker/store/conformance.js'
import { QUEUE_WINDOW } from '../../../broker/store/paged-queue.js'
import { RedisStore } from '../../../broker/store/redis.js'
import type { SessionRecord } from '../../../broker/store/store.js'
import { StoreError } from '../../../broker/store/store.js'
import { StoreOpenError } from '../../../broker/store/store-open-error.js'
import { freePort } from '../../helpers/free-port.js'
import { assertPagesInOrderWhileGrowing } from '../../helpers/paged-queue.js'
import { type RunningRedis, redisCli, startRedisServer } from '../../helpers/redis-server.js'

/** One redis-server for the file; every store gets a key prefix of its own, so tests never see each other's keys. */
let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

let prefixes = 0
function freshPrefix(): string {
  return `test-${process.pid}-${++prefixes}:`
}

storeConformance({
  test,
  makeStore: async () => new RedisStore({ url: server.url, keyPrefix: freshPrefix() }),
  reopen: async (store) => {
    await store.close()
    return new RedisStore({ url: server.url, keyPrefix: (store as RedisStore).keys.prefix })
  },
  reportsCommits: true
})

interface Options {
  url?: string
  keyPrefix?: string
  logger?: { warn(message: string): void }
}

/** An open store (on the file's server and a fresh prefix unless told), closed after the test. */
async function openStore(t: TestContext, options: Options = {}): Promise<RedisStore> {
  const store = new RedisStore({ url: options.url ?? server.url, keyPrefix: options.keyPrefix ?? freshPrefix(), logger: options.logger })
  t.after(() => store.close())
  await store.open()
  return store
}

async function reopened(t: TestContext, store: RedisStore, url = server.url): Promise<RedisStore> {
  await store.close()
  return openStore(t, { url, keyPrefix: store.keys.prefix })
}

/** A plain client on the server, for looking at keys; closed after the test. */
function inspector(t: TestContext, url = server.url): Redis {
  const redis = new Redis(url)
  t.after(() => redis.quit())
  return redis
}

function record(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1_700_000_000_000, owner: { username: undefined } }
}

/** Collects what a store logs as warnings. */
function warnings(): { warn(message: string): void; said: string[] } {
  const said: string[] = []
  return { said, warn: (text) => said.push(text) }
}

test('what Redis acknowledged survives a crash of redis-server (appendonly yes, appendfsync always)', async (t) => {
  const own = await startRedisServer()
  t.after(() => own.stop())
  const store = await openStore(t, { url: own.url })
  store.saveSession(record('a'))
  store.saveSubscription('a', {
    fullFilter: 't/#',
    qos: 1,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    subscriptionId: undefined
  })
  for (let id = 1; id <= 50; id++) store.queue('a').push(delivery(message(id, 't/q', `m${id}`), 1))
  store.saveInflight('a', { packetId: 4, state: 'publish', delivery: delivery(message(51, 't/f'), 2) })
  store.saveIncomingQos2('a', 9)
  store.saveRetained(message(52, 'r', 'kept'))
  await store.flush() // what a PUBACK waits for
  await own.crash()
  await own.restart()
  const again = await reopened(t, store, own.url)
  const snapshot = await again.open()
  const [session] = snapshot.sessions
  assert.equal(session.record.clientId, 'a')
  assert.equal(session.subscriptions[0].fullFilter, 't/#')
  assert.deepEqual(
    session.inflight.map((r) => [r.packetId, r.delivery.message.topic]),
    [[4, 't/f']]
  )
  assert.deepEqual(session.incomingQos2, [9])
  assert.equal(snapshot.retained[0].payload.toString(), 'kept')
  assert.equal(snapshot.lastMessageId, 52)
  const items = await drainQueue(again.queue('a'))
  assert.deepEqual(
    items.map((item) => item.message.payload.toString()),
    Array.from({ length: 50 }, (_, i) => `m${i + 1}`)
  )
})

test('while Redis is away a batch fails with StoreError (no acknowledgement); once it is back, the kept writes go first, then the rest', async (t) => {
  const own = await startRedisServer()
  t.after(() => own.stop())
  const store = await openStore(t, { url: own.url })
  store.saveSession(record('a'))
  await store.flush()
  await own.crash()
  store.saveIncomingQos2('a', 1)
  let caughtUp: Promise<void> | undefined
  await assert.rejects(store.flush(), (error: unknown) => {
    caughtUp = (error as StoreError).caughtUp
    return error instanceof StoreError && error.kind === 'unavailable' && caughtUp !== undefined
  })
  assert.equal(typeof store.unavailableSince, 'number')
  await own.restart()
  const deadline = Date.now() + 10_000
  for (;;) {
    store.saveIncomingQos2('a', 2)
    const written = await store.flush().then(
      () => true,
      () => false
    )
    if (written) break
    assert.ok(Date.now() < deadline, 'writes did not resume within 10 s of Redis coming back')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await caughtUp
  assert.equal(store.unavailableSince, undefined)
  const [session] = (await (await reopened(t, store, own.url)).open()).sessions
  assert.deepEqual(session.incomingQos2, [1, 2], 'what Redis could not take was kept and written once it was back')
})

test('open warns loudly when Redis does not fsync every write, naming what can be lost', async (t) => {
  const everysec = await startRedisServer({ appendfsync: 'everysec' })
  t.after(() => everysec.stop())
  const logger = warnings()
  await openStore(t, { url: everysec.url, logger })
  assert.equal(logger.said.length, 1)
  assert.match(logger.said[0], /^WARNING: .*appendfsync everysec.*loses the acknowledged QoS 1\/2 messages/)
  const quiet = warnings()
  await openStore(t, { logger: quiet })
  assert.deepEqual(quiet.said, [], 'appendonly yes and appendfsync always: nothing to warn about')
})

test('open says it cannot check the durability settings when Redis refuses CONFIG (a managed Redis)', async (t) => {
  const managed = await startRedisServer({ withoutConfigCommand: true })
  t.after(() => managed.stop())
  const logger = warnings()
  await openStore(t, { url: managed.url, logger })
  assert.equal(logger.said.length, 1)
  assert.match(logger.said[0], /^WARNING: cannot check the durability settings of Redis at .*appendfsync always/)
})

test('an unreachable Redis fails open with a StoreOpenError naming the URL', async () => {
  const url = `redis://127.0.0.1:${await freePort()}/0`
  const store = new RedisStore({ url, keyPrefix: freshPrefix() })
  await assert.rejects(store.open(), (error: unknown) => {
    assert.ok(error instanceof StoreOpenError, String(error))
    assert.equal(error.code, 'UNREACHABLE')
    assert.ok(error.message.includes(url), error.message)
    return true
  })
  await store.close()
})

test('a store of a newer format, or a prefix holding something else, is refused', async (t) => {
  const redis = inspector(t)
  for (const [found, code] of [
    ['99', 'NEWER_VERSION'],
    ['hello', 'NOT_A_STORE']
  ]) {
    const keyPrefix = freshPrefix()
    await redis.set(`${keyPrefix}tp:{store}:format`, found)
    const store = new RedisStore({ url: server.url, keyPrefix })
    await assert.rejects(store.open(), (error: unknown) => error instanceof StoreOpenError && error.code === code)
    await store.close()
  }
})

test('a store of format 1 (broker-wide keys without the {store} hash tag) is upgraded in place at open', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  store.saveRetained(message(7, 'r', 'kept'))
  await store.flush()
  await store.close()
  // Back to format 1's names, as a broker of that version left them.
  const redis = inspector(t)
  const prefix = store.keys.prefix
  for (const name of ['sessions', 'retained', 'meta']) await redis.rename(`${prefix}tp:{store}:${name}`, `${prefix}tp:${name}`)
  await redis.del(`${prefix}tp:{store}:format`)
  await redis.set(`${prefix}tp:format`, '1')
  const snapshot = await (await openStore(t, { keyPrefix: prefix })).open()
  assert.deepEqual(
    snapshot.sessions.map((session) => session.record.clientId),
    ['a']
  )
  assert.equal(snapshot.retained[0].payload.toString(), 'kept')
  assert.equal(snapshot.lastMessageId, 7)
  assert.deepEqual((await redis.keys(`${prefix}tp:[fsrm]*`)).sort(), [])
  assert.equal(await redis.get(`${prefix}tp:{store}:format`), '3')
})

test("every key lives under the prefix, and a session's keys carry its hash tag", async (t) => {
  const store = await openStore(t)
  store.saveSession(record('dev-1'))
  store.saveSubscription('dev-1', {
    fullFilter: 't',
    qos: 1,
    noLocal: false,
    retainAsPublished: false,
    retainHandling: 0,
    subscriptionId: undefined
  })
  store.queue('dev-1').push(delivery(message(1, 't'), 1))
  store.saveInflight('dev-1', { packetId: 1, state: 'publish', delivery: delivery(message(2, 't'), 1) })
  store.saveIncomingQos2('dev-1', 3)
  store.saveRetained(message(3, 'r'))
  await store.flush()
  const keys = (await inspector(t).keys(`${store.keys.prefix}*`)).map((key) => key.slice(store.keys.prefix.length)).sort()
  // No `inflight-order`: since format 3 an in-flight record carries its place in the sending order.
  const ofSession = ['inflight', 'incoming', 'queue', 'queue-bytes', 'session', 'subscriptions']
  assert.deepEqual(
    keys,
    [
      ...ofSession.map((part) => `tp:{dev-1}:${part}`),
      'tp:{store}:format',
      'tp:{store}:meta',
      'tp:{store}:retained',
      'tp:{store}:sessions'
    ].sort()
  )
  store.deleteSession('dev-1')
  await store.flush()
  assert.deepEqual(await inspector(t).keys(`${store.keys.prefix}tp:{dev-1}*`), [])
})

test('writes before the same MULTI share one flush promise; a batch fills while Redis answers the one before', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  const first = store.flush()
  store.saveIncomingQos2('a', 1)
  assert.equal(store.flush(), first)
  await new Promise((resolve) => setImmediate(resolve))
  const answering = store.flush() // sent
  store.saveIncomingQos2('a', 2)
  const next = store.flush()
  assert.notEqual(next, answering)
  await next
  const [session] = (await (await reopened(t, store)).open()).sessions
  assert.deepEqual(session.incomingQos2, [1, 2])
})

test('a long queue pages from Redis, keeps order and counts, also while it grows', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  await assertPagesInOrderWhileGrowing(store.queue('a'), QUEUE_WINDOW * 5)
  await store.flush()
  const redis = inspector(t)
  assert.equal(await redis.llen(store.keys.queue('a')), 0)
  assert.equal(await redis.get(store.keys.queueBytes('a')), '0')
})

test('after a restart a queue knows its length and bytes at once and reads its entries on demand', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  for (let id = 1; id <= 300; id++)
    store.queue('a').push({ ...delivery(message(id, `t/${id}`, 'abc'), 2), retain: true, subscriptionIds: [4, 5] })
  const again = await reopened(t, store)
  const queue = again.queue('a')
  assert.equal(queue.length, 300)
  assert.equal(queue.bytes, 900)
  assert.equal(queue.shift(), undefined)
  const items = await drainQueue(queue)
  assert.deepEqual(
    items.map((item) => item.message.id),
    Array.from({ length: 300 }, (_, i) => i + 1)
  )
  assert.equal(items[7].retain, true)
  assert.deepEqual(items[7].subscriptionIds, [4, 5])
})

test('messages come back whole: Buffer payload and Correlation Data', async (t) => {
  const store = await openStore(t)
  const properties = { correlationData: Buffer.from([0, 1, 255]), userProperties: { k: ['v1', 'v2'] } }
  store.saveRetained({ ...message(1, 'r', '\u0000bin'), retain: true, properties })
  const [kept] = (await (await reopened(t, store)).open()).retained
  assert.equal(kept.payload.toString(), '\u0000bin')
  assert.deepEqual([...kept.properties!.correlationData!], [0, 1, 255])
  assert.deepEqual(kept.properties?.userProperties, { k: ['v1', 'v2'] })
})

test('a batch Redis refuses for want of memory fails as full, naming the OOM rather than EXECABORT', async (t) => {
  const own = await startRedisServer()
  t.after(() => own.stop())
  const store = await openStore(t, { url: own.url })
  await redisCli(own.port, 'config', 'set', 'maxmemory-policy', 'noeviction')
  await redisCli(own.port, 'config', 'set', 'maxmemory', '2mb')
  const big = 'x'.repeat(1024 * 1024)
  let refused: unknown
  for (let i = 0; i < 8 && refused === undefined; i++) {
    store.saveRetained(message(i + 1, `big/${i}`, big))
    refused = await store.flush().then(
      () => undefined,
      (error: unknown) => error
    )
  }
  assert.ok(refused instanceof StoreError, String(refused))
  assert.equal(refused.kind, 'full')
  assert.match(refused.message, /OOM command not allowed/)
})
