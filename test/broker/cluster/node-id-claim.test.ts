import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { runProgram } from '../../helpers/run-program.js'
import { redisClient } from './cluster-nodes.js'

// One process per node id: a second node started under a live node's id is refused, while a node restarted under its
// own id after its process died takes it back.

const nodeArgs = (url: string, id: string) => [
  '--host',
  '127.0.0.1',
  '--port',
  '0',
  '--cluster',
  url,
  '--node-id',
  id,
  '--sys-interval',
  '0'
]

test('a second node under the id of a live node refuses to start, saying why, and leaves the live one alone', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const live = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
  const client = await connectClient(t, live.urls[0]!, { clientId: 'still-here', protocolVersion: 5 })
  await client.client.subscribeAsync('t', { qos: 1 })

  const second = await runProgram(t, process.execPath, [thermopostBin, 'broker', ...nodeArgs(redis.url, 'n1')])
  assert.equal(second.code, 1, second.stdout + second.stderr)
  assert.match(second.stderr, /node id n1 is in use by a live node .*another --node-id/)
  assert.doesNotMatch(second.stdout, /listening on/)

  // The live node kept its id: it still routes, and a third node under another id joins it.
  const other = await startCliBroker(t, nodeArgs(redis.url, 'n2'), 1)
  assert.ok(live.child.exitCode === null)
  await client.client.publishAsync('t', 'through n1', { qos: 1 })
  assert.equal((await client.inbox.takeOne(5000)).payload.toString(), 'through n1')
  assert.ok(other.output().includes('joined'))
})

for (const [signal, keyLeft] of [
  ['SIGKILL', 1],
  ['SIGTERM', 0]
] as const) {
  test(`a node ended with ${signal} starts again under its id${keyLeft === 1 ? ' once its old liveness key runs out' : ''}`, async (t) => {
    const redis = await startRedisServer()
    t.after(() => redis.stop())
    const first = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
    first.child.kill(signal)
    await once(first.child, 'exit')
    // Killed, its key stays for its time-to-live (3 s) with nobody renewing it: the new process waits it out. Stopped
    // cleanly, the node deleted its key on the way out.
    assert.equal(await redisClient(t, redis.url).exists('tp:{cluster}:node:n1'), keyLeft)
    const again = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
    assert.ok(again.output().includes('cluster: node n1 joined'), again.output())
  })
}

test('a node paused past its liveness while another process took its id stops when it wakes, and leaves the id to that one', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const look = redisClient(t, redis.url)
  const paused = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
  paused.child.kill('SIGSTOP')
  t.after(() => paused.child.kill('SIGCONT'))
  const successor = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
  const heldBySuccessor = await look.get('tp:{cluster}:node:n1')
  paused.child.kill('SIGCONT')
  const [code] = await once(paused.child, 'exit')
  assert.equal(code, 1, paused.output())
  assert.match(paused.output(), /another process took node id n1 while this one was away past its liveness/)
  assert.ok(successor.child.exitCode === null, 'the successor runs on')
  assert.equal(await look.get('tp:{cluster}:node:n1'), heldBySuccessor, 'the successor keeps the id')
})
