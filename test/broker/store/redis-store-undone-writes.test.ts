import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import type { Delivery } from '../../../broker/message.js'
import { delivery, message } from '../../../broker/store/conformance.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { LazyArgument, RedisBatch, type WrittenCommand } from '../../../broker/store/redis-batch.js'
import type { SessionRecord } from '../../../broker/store/store.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'

/** One redis-server for the file; every store gets a key prefix of its own. */
let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

let prefixes = 0

async function openStore(t: TestContext, keyPrefix = `undone-${process.pid}-${++prefixes}:`): Promise<RedisStore> {
  const store = new RedisStore({ url: server.url, keyPrefix })
  t.after(() => store.close())
  await store.open()
  return store
}

function record(clientId: string): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: undefined, owner: { username: undefined } }
}

/** The commands Redis runs on keys under `prefix` (MONITOR), as `name key` without the prefix, until the test ends. */
async function watchCommands(t: TestContext, prefix: string): Promise<string[]> {
  const seen: string[] = []
  const client = new Redis(server.url)
  const monitor = await client.monitor() // a connection of its own
  t.after(() => {
    monitor.disconnect()
    client.disconnect()
  })
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[1]?.startsWith(prefix)) seen.push(`${args[0].toLowerCase()} ${args[1].slice(prefix.length)}`)
  })
  return seen
}

/** MONITOR's lines come on a connection of their own, a moment after the batch's answer. */
async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50))
}

function shiftOne(store: RedisStore, clientId: string): Delivery {
  const taken = store.queue(clientId).shift()
  assert.ok(taken !== undefined)
  return taken
}

test('a batch seals without its taken-back commands, encodes the rest, and its reads move up with them', () => {
  const batch = new RedisBatch()
  const encoded: string[] = []
  const lazily = (text: string): LazyArgument =>
    new LazyArgument(() => {
      encoded.push(text)
      return text
    })
  const push: WrittenCommand = ['rpush', 'q', lazily('x')]
  const bytes: WrittenCommand = ['incrby', 'q-bytes', 1]
  batch.add(push)
  batch.add(bytes)
  batch.add(['set', 'k', lazily('v')])
  const answers: unknown[][] = []
  batch.addRead(
    [
      ['llen', 'q'],
      ['get', 'q-bytes']
    ],
    (results) => answers.push(results ?? [])
  )
  assert.equal(batch.cancel(push, bytes), true)
  batch.seal()
  assert.deepEqual(batch.commands, [
    ['set', 'k', 'v'],
    ['llen', 'q'],
    ['get', 'q-bytes']
  ])
  assert.equal(batch.reads[0].start, 1)
  assert.equal(batch.writes, 1)
  assert.deepEqual(encoded, ['v'], 'a value is encoded when its batch is sealed, and never for a write taken back')
  batch.answerReads(['OK', 3, '7'])
  assert.deepEqual(answers, [[3, '7']])
  assert.equal(batch.cancel(['set', 'k', 'v']), false, 'nothing is taken back once sealed')
})

test('a delivery queued, taken in flight and acknowledged within one batch never reaches Redis', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  await store.flush()
  const seen = await watchCommands(t, store.keys.prefix)
  store.queue('a').push(delivery(message(1, 't'), 1))
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: shiftOne(store, 'a') })
  store.deleteInflight('a', 1)
  await store.flush()
  await settled()
  assert.deepEqual(seen, ['zadd tp:{store}:meta'], 'only the last message id is recorded')
  const inRedis = new Redis(server.url)
  t.after(() => inRedis.quit())
  assert.equal(await inRedis.llen(store.keys.queue('a')), 0)
  assert.equal(await inRedis.hlen(store.keys.inflight('a')), 0)
})

test('what is taken back only within its own batch: a write already sent is undone by a write in Redis', async (t) => {
  const store = await openStore(t)
  store.saveSession(record('a'))
  await store.flush()
  const seen = await watchCommands(t, store.keys.prefix)
  const queue = store.queue('a')
  // Pushed in one batch, shifted in the next: LPOP and DECRBY.
  queue.push(delivery(message(1, 't', 'one'), 1))
  await store.flush()
  store.saveInflight('a', { packetId: 1, state: 'publish', delivery: shiftOne(store, 'a') })
  // Queued and taken in the same batch, but acknowledged in the next: its record is written, then deleted.
  queue.push(delivery(message(2, 't', 'two'), 1))
  store.saveInflight('a', { packetId: 2, state: 'publish', delivery: shiftOne(store, 'a') })
  await store.flush()
  store.deleteInflight('a', 1)
  store.deleteInflight('a', 2)
  // A QoS 2 record moved to pubrel in the batch of its PUBCOMP: its first HSET is in Redis, so it is deleted there.
  queue.push(delivery(message(3, 't', 'three'), 2))
  store.saveInflight('a', { packetId: 3, state: 'publish', delivery: shiftOne(store, 'a') })
  await store.flush()
  const third = { packetId: 3, state: 'pubrel' as const, delivery: delivery(message(3, 't', 'three'), 2) }
  store.saveInflight('a', third)
  store.deleteInflight('a', 3)
  await store.flush()
  await settled()
  const count = (name: string): number => seen.filter((command) => command.startsWith(`${name} `)).length
  assert.equal(count('rpush'), 1, 'only the push whose shift went in a later batch')
  assert.equal(count('lpop'), 1)
  assert.equal(count('hset'), 4, 'records 1, 2 and 3, and 3 again as pubrel')
  assert.equal(count('hdel'), 3)
  const reopened = await openStore(t, store.keys.prefix)
  const restored = await reopened.loadSession('a')
  assert.deepEqual(restored?.inflight, [])
  assert.equal(reopened.queue('a').length, 0)
})
