import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RedisStore } from '../../../broker/store/redis.js'
import { StoreError } from '../../../broker/store/store.js'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { type Connected, connectClient, goOffline } from '../../helpers/flow-clients.js'
import { startRedisSentinel } from '../../helpers/redis-sentinel.js'
import { pollUntil, redisCli } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'

// The Redis store on a primary found through Sentinel (redis+sentinel://): what it acknowledged is on a replica too,
// so a promotion after the primary's death loses none of it.

test('under Sentinel a batch no replica confirmed (WAIT 1) is not acknowledged', async (t) => {
  const sentinel = await startRedisSentinel(1)
  t.after(() => sentinel.stop())
  const store = new RedisStore({ url: sentinel.url, keyPrefix: 'wait:' })
  t.after(() => store.close())
  await store.open()
  store.saveIncomingQos2('a', 1)
  await store.flush()
  await sentinel.kill(sentinel.replicaPorts[0])
  store.saveIncomingQos2('a', 2)
  await assert.rejects(store.flush(), (error: unknown) => {
    assert.ok(error instanceof StoreError, String(error))
    assert.match(error.message, /no replica confirmed the batch within \d+ ms \(WAIT 1\)/)
    return true
  })
})

test('a store closed under Sentinel leaves no connection to the Sentinel behind (its promotion watch included)', async (t) => {
  const sentinel = await startRedisSentinel(1)
  t.after(() => sentinel.stop())
  const connections = async (): Promise<number> => (await redisCli(sentinel.port, 'client', 'list')).trim().split('\n').length
  const before = await connections()
  const store = new RedisStore({ url: sentinel.url, keyPrefix: 'close:' })
  await store.open()
  await pollUntil(async () => (await connections()) > before, 5000, 'the promotion watch to subscribe')
  await store.close()
  await pollUntil(async () => (await connections()) === before, 5000, 'the connections to the Sentinel to close')
})

test('a broker on redis+sentinel:// loses no acknowledged message when the primary is killed and a replica promoted', async (t) => {
  const sentinel = await startRedisSentinel(2)
  t.after(() => sentinel.stop())
  const prefix = 'site-a:'
  const args = ['--host', '127.0.0.1', '--port', '0', '--store', 'redis', '--redis-url', sentinel.url, '--redis-key-prefix', prefix]
  const broker = await startCliBroker(t, args, 1)
  const session = { clientId: 'sentinel-sub', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }
  const subscriber = await connectClient(t, broker.urls[0]!, session)
  await subscriber.client.subscribeAsync('f/#', { qos: 1 })
  await goOffline(subscriber.client)

  let publisher = await connectClient(t, broker.urls[0]!, { clientId: 'sentinel-pub', protocolVersion: 5 })
  const acknowledged: number[] = []
  let refused = 0
  const publish = async (n: number): Promise<void> => {
    try {
      await withTimeout(publisher.client.publishAsync('f/1', String(n), { qos: 1 }), 5000)
      acknowledged.push(n)
    } catch {
      refused++ // no PUBACK, or one with a failure reason code: the publisher still holds the message
      if (!publisher.client.connected) publisher = await reconnect(t, broker.urls[0]!)
      await sleep(50)
    }
  }
  let n = 0
  while (n < 30) await publish(++n)
  await sentinel.kill(sentinel.primaryPort)
  const deadline = Date.now() + 30_000
  // Publishing goes on through the outage until 30 messages more are acknowledged by the promoted replica.
  const before = acknowledged.length
  while (acknowledged.length < before + 30) {
    assert.ok(Date.now() < deadline, `only ${acknowledged.length - before} acknowledged within 30 s of the primary's death`)
    await publish(++n)
  }
  assert.notEqual(await sentinel.currentPrimaryPort(), sentinel.primaryPort, 'Sentinel promoted a replica')
  await publisher.client.endAsync()
  broker.child.kill('SIGKILL')

  // A new broker reads the session and its queue from the promoted replica.
  const second = await startCliBroker(t, args, 1)
  const resumed = await connectClient(t, second.urls[0]!, session)
  assert.equal(resumed.connack.sessionPresent, true)
  await pollUntil(async () => acknowledged.every((m) => received(resumed).includes(m)), 10_000, 'every acknowledged message')
  const got = received(resumed)
  assert.deepEqual(
    got,
    [...got].sort((a, b) => a - b),
    'in publish order'
  )
  t.diagnostic(`${acknowledged.length} acknowledged, ${refused} refused during the failover, ${got.length} delivered`)
  const keys = (await redisCli(await sentinel.currentPrimaryPort(), 'keys', '*')).trim().split('\n')
  assert.ok(keys.length > 0 && keys.every((key) => key.startsWith(prefix)), `every key under --redis-key-prefix: ${keys}`)
})

function received(connected: Connected): number[] {
  return connected.inbox.all.map((message) => Number(message.payload.toString()))
}

async function reconnect(t: Parameters<typeof connectClient>[0], url: string): Promise<Connected> {
  for (;;) {
    try {
      return await connectClient(t, url, { clientId: 'sentinel-pub', protocolVersion: 5 })
    } catch {
      await sleep(100)
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())
  ])
}
