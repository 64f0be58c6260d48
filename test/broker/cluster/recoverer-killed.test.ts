import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { CrashPublisher } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { NumberedMessages } from '../../helpers/numbered-messages.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { memberOfNode, redisClient } from './cluster-nodes.js'

// The node recovering a dead one is killed in the middle of draining its stream (issue 16). Its claim on that
// recovery lasts as long as it lives: the node that recovers it takes the unfinished recovery over, and the session
// resumes there with every acknowledged message, QoS 2 ones once.

const nodeArgs = (url: string, id: string) => [
  ...['--host', '127.0.0.1', '--port', '0', '--cluster', url, '--node-id', id],
  ...['--sys-interval', '0', '--max-queued-messages', '1000000']
]
/** Enough stream entries for the drain to take several rounds, so the test can kill its node in the middle of them. */
const BACKLOG = 3000

test('a recoverer killed while it drains a dead node: the third node finishes the recovery and nothing acknowledged is lost', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const look = redisClient(t, redis.url)
  const nodes = new Map<string, Awaited<ReturnType<typeof startCliBroker>>>()
  for (const id of ['n1', 'n2', 'n3']) nodes.set(id, await startCliBroker(t, nodeArgs(redis.url, id), 1))
  const output = () => [...nodes].map(([id, node]) => `--- ${id}\n${node.output().slice(-4000)}`).join('\n')
  const m2 = await memberOfNode(look, 'n2')

  const subscriber = new CrashSubscriber('sub', {
    clientId: uniqueId('sub'),
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 300 }
  })
  t.after(() => subscriber.drop())
  await subscriber.connect(nodes.get('n2')!.urls[0]!)
  await subscriber.subscribe('backlog/#', 2)
  await sleep(300) // the others hear of n2's filter

  // n2 stops reading its stream while the test keeps its liveness key, so what comes for it piles up there.
  nodes.get('n2')!.child.kill('SIGSTOP')
  const liveness = 'tp:{cluster}:node:n2'
  const incarnation = m2.slice('n2@'.length)
  const keepAlive = setInterval(() => void look.set(liveness, incarnation, 'PX', 3000), 500)
  t.after(() => clearInterval(keepAlive))
  const publisher = await CrashPublisher.connect(Number(new URL(nodes.get('n1')!.urls[0]!).port), uniqueId('pub'))
  t.after(() => publisher.destroy())
  const messages = new NumberedMessages('backlog')
  publisher.start(10, messages.next)
  for (const deadline = Date.now() + 30_000; publisher.acknowledged.size < BACKLOG; await sleep(50)) {
    assert.ok(Date.now() < deadline, `only ${publisher.acknowledged.size} messages acknowledged in 30 s`)
  }
  publisher.stop()
  await sleep(500)
  const acknowledged = [...publisher.acknowledged]
  const stream = `tp:{cluster}:stream:${m2}`
  const backlog = await look.xlen(stream)

  // n2 dies; whoever wins its recovery is killed once its drain has begun (its stream shorter) and before it is done.
  clearInterval(keepAlive)
  nodes.get('n2')!.child.kill('SIGKILL')
  let recoverer: string | undefined
  for (const deadline = Date.now() + 20_000; recoverer === undefined; ) {
    assert.ok(Date.now() < deadline, `nobody began the recovery of n2 within 20 s\n${output()}`)
    const [[, claimant], [, length]] = (await look.multi().get(`tp:{cluster}:recovery:${m2}`).xlen(stream).exec()) as Array<
      [Error | null, string | null]
    >
    assert.notEqual(Number(length), 0, 'the drain ended before the test could kill the recoverer: make the backlog bigger')
    if (claimant !== null && Number(length) < backlog) recoverer = claimant.slice(0, claimant.indexOf('@'))
  }
  nodes.get(recoverer)!.child.kill('SIGKILL')
  assert.equal(await look.exists(stream), 1, 'the recoverer died with the stream not yet drained')

  // The third node finds the recoverer dead, takes its recovery of n2 over, and drains the rest into the session.
  const survivor = ['n1', 'n3'].find((id) => id !== recoverer)!
  const survivorMember = await memberOfNode(look, survivor)
  for (const deadline = Date.now() + 30_000; (await look.get(`tp:{cluster}:moved:${m2}`)) !== survivorMember; await sleep(100)) {
    assert.ok(Date.now() < deadline, `${survivor} did not finish the recovery of n2 within 30 s\n${output()}`)
  }
  assert.equal(await look.exists(stream), 0)
  assert.equal((await subscriber.connect(nodes.get(survivor)!.urls[0]!)).sessionPresent, true)
  for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
    const got = new Set(subscriber.received().map((message) => Number(message.payload.toString())))
    const missing = acknowledged.filter((n) => !got.has(n))
    if (missing.length === 0) break
    assert.ok(Date.now() < deadline, `${missing.length} acknowledged messages missing: ${missing.slice(0, 20).join(', ')}\n${output()}`)
  }
  assert.deepEqual(messages.qos2Twice(subscriber.received()), [], 'QoS 2 messages delivered more than once')
})
