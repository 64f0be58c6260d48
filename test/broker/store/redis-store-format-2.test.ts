import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { delivery, message } from '../../../broker/store/conformance.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { encodeInflight } from '../../../broker/store/redis-codec.js'
import type { InflightRecord, StoreSnapshot } from '../../../broker/store/store.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'

let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

async function opened(t: TestContext, keyPrefix: string): Promise<{ store: RedisStore; snapshot: StoreSnapshot }> {
  const store = new RedisStore({ url: server.url, keyPrefix })
  t.after(() => store.close())
  return { store, snapshot: await store.open() }
}

function inflight(packetId: number, state: InflightRecord['state'] = 'publish'): InflightRecord {
  return { packetId, state, delivery: delivery(message(packetId, 'f2', `m${packetId}`), 2) }
}

/** An in-flight record as format 2 wrote it: without its place, which was its score in `inflight-order`. */
function formatTwo(record: InflightRecord): string {
  const { order: _order, ...json } = JSON.parse(encodeInflight(record, 0)) as { order: number }
  return JSON.stringify(json)
}

test('a store of format 2 keeps its in-flight records in the order of inflight-order, and is upgraded to 3 at open', async (t) => {
  const keyPrefix = `format-2-${process.pid}:`
  const first = await opened(t, keyPrefix)
  first.store.saveSession({ clientId: 'a', protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: 'unknown' })
  await first.store.flush()
  await first.store.close()
  // What a format 2 broker left: packet 5 sent before packet 3.
  const redis = new Redis(server.url)
  t.after(() => redis.quit())
  const keys = first.store.keys
  await redis.hset(keys.inflight('a'), '5', formatTwo(inflight(5)), '3', formatTwo(inflight(3)))
  await redis.zadd(keys.inflightOrder('a'), 10, '5', 20, '3')
  await redis.set(keys.format, '2')

  const second = await opened(t, keyPrefix)
  const restored = second.snapshot.sessions.find((session) => session.record.clientId === 'a')
  assert.deepEqual(
    restored?.inflight.map((record) => record.packetId),
    [5, 3]
  )
  assert.equal(restored?.inflight[0].delivery.message.payload.toString(), 'm5')
  assert.equal(await redis.get(keys.format), '3')

  // A format 2 record moved to pubrel keeps its place; a new record comes after every one read; a delete holds.
  second.store.saveInflight('a', inflight(5, 'pubrel'))
  second.store.saveInflight('a', inflight(7))
  second.store.deleteInflight('a', 3)
  await second.store.flush()
  await second.store.close()
  const third = await opened(t, keyPrefix)
  const again = third.snapshot.sessions.find((session) => session.record.clientId === 'a')
  assert.deepEqual(
    again?.inflight.map((record) => [record.packetId, record.state]),
    [
      [5, 'pubrel'],
      [7, 'publish']
    ]
  )
})

test('a pubrel keeps the place its record was first sent in, across a reopen, and places go on after those read', async (t) => {
  const keyPrefix = `format-3-${process.pid}:`
  const first = await opened(t, keyPrefix)
  first.store.saveSession({ clientId: 'b', protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: 'unknown' })
  for (const packetId of [9, 2, 4]) first.store.saveInflight('b', inflight(packetId))
  await first.store.flush()
  await first.store.close()
  const second = await opened(t, keyPrefix)
  second.store.saveInflight('b', inflight(9, 'pubrel'))
  second.store.saveInflight('b', inflight(1))
  await second.store.flush()
  await second.store.close()
  const third = await opened(t, keyPrefix)
  assert.deepEqual(
    third.snapshot.sessions[0].inflight.map((record) => [record.packetId, record.state]),
    [
      [9, 'pubrel'],
      [2, 'publish'],
      [4, 'publish'],
      [1, 'publish']
    ]
  )
})
