import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { connectClient, goOffline } from '../../helpers/flow-clients.js'
import { freePort } from '../../helpers/free-port.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { runProgram } from '../../helpers/run-program.js'

// `thermopost broker --store redis`: a broker killed and started again on the same Redis finds its sessions there.

test('a broker restarted on the same Redis resumes a persistent session with its queue', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const args = ['--host', '127.0.0.1', '--port', '0', '--store', 'redis', '--redis-url', `${redis.url}/0`]
  const first = await startCliBroker(t, args, 1)
  assert.doesNotMatch(first.output(), /WARNING/, 'appendonly yes and appendfsync always: no durability warning')
  const session = { clientId: 'redis-sub', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }
  const subscriber = await connectClient(t, first.urls[0]!, session)
  await subscriber.client.subscribeAsync('room/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.urls[0]!, { clientId: 'redis-pub', protocolVersion: 5 })
  // Each PUBACK waits for Redis's answer to the MULTI that queued the message.
  for (const text of ['m1', 'm2', 'm3']) await publisher.client.publishAsync('room/1', text, { qos: 1 })
  await publisher.client.endAsync()
  first.child.kill('SIGKILL')

  const second = await startCliBroker(t, args, 1)
  const resumed = await connectClient(t, second.urls[0]!, session)
  assert.equal(resumed.connack.sessionPresent, true)
  const received = await resumed.inbox.take(3)
  assert.deepEqual(
    received.map((m) => `${m.topic}=${m.payload.toString()}`),
    ['room/1=m1', 'room/1=m2', 'room/1=m3']
  )
  await resumed.inbox.none()
})

test('--store redis with Redis set to appendfsync everysec starts with a loud warning', async (t) => {
  const redis = await startRedisServer({ appendfsync: 'everysec' })
  t.after(() => redis.stop())
  const broker = await startCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--store', 'redis', '--redis-url', redis.url], 1)
  assert.match(broker.output(), /WARNING: Redis at redis:\/\/127\.0\.0\.1:\d+ runs with appendfsync everysec/)
})

test('--store redis exits 1 with a message naming the URL when Redis cannot be reached, and asks for --redis-url when it is missing', async (t) => {
  const url = `redis://127.0.0.1:${await freePort()}/0`
  const broker = ['broker', '--host', '127.0.0.1', '--port', '0', '--store', 'redis']
  const unreachable = await runProgram(t, process.execPath, [thermopostBin, ...broker, '--redis-url', url])
  assert.equal(unreachable.code, 1)
  assert.ok(unreachable.stderr.includes(`cannot reach Redis at ${url}`), unreachable.stderr)
  assert.doesNotMatch(unreachable.stderr, /\n\s+at /, 'a message, not a stack trace')
  const missing = await runProgram(t, process.execPath, [thermopostBin, ...broker])
  assert.notEqual(missing.code, 0)
  assert.match(missing.stderr, /redis-url/)
})

test('a --redis-url the store cannot use stops start-up with a message naming the bad part', async (t) => {
  const broker = ['broker', '--host', '127.0.0.1', '--port', '0', '--store', 'redis', '--redis-url']
  const badPort = await runProgram(t, process.execPath, [thermopostBin, ...broker, 'redis://127.0.0.1:99999/0'])
  assert.notEqual(badPort.code, 0)
  assert.match(badPort.stderr, /redis-url.*port of host '127\.0\.0\.1' '99999' is not a number from 1 to 65535/)
  const noMaster = await runProgram(t, process.execPath, [thermopostBin, ...broker, 'redis+sentinel://127.0.0.1:26379'])
  assert.notEqual(noMaster.code, 0)
  assert.match(noMaster.stderr, /the primary's name is missing/)
  assert.doesNotMatch(badPort.stderr + noMaster.stderr, /\n\s+at /, 'a message, not a stack trace')
})
