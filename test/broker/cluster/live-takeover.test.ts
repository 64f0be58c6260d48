import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { RELAY_GRACE_MS } from '../../../broker/cluster/session-relay.js'
import { startBrokerProcess, tempDir } from '../../helpers/crash-broker.js'
import { CrashPublisher, type Outgoing } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { filterKnown, redisClient } from './cluster-nodes.js'

const WINDOW = 10
const TAKEOVERS = 5
/** Well inside the old holder's relay: each takeover comes while the previous one's relay still runs. */
const BETWEEN_MS = RELAY_GRACE_MS / 5

/**
 * A persistent subscriber moves between two live nodes, A and B, again and again (each connection takes the session
 * over from the node holding it), while publishers on A and on a third node C keep QoS 1 and QoS 2 messages coming.
 * The other nodes learn of the new holder's filters only some time after the old holder let the session go: what
 * they route in between must still reach the session (session-relay.ts), also while a bystander on the new holder
 * already holds the same filter (so other nodes route there before the session is restored) and while the session
 * goes back to a node still relaying it. Every acknowledged message arrives, QoS 2 ones exactly once.
 */
test('a session taken over between live nodes gets every message acknowledged meanwhile', { timeout: 180_000 }, async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const dir = tempDir(t, 'thermopost-takeover-')
  const nodes = []
  for (const id of ['node-1', 'node-2', 'node-3']) {
    const extra = ['--cluster', redis.url, '--node-id', id, '--max-queued-messages', '1000000', '--sys-interval', '0']
    nodes.push(await startBrokerProcess(t, { dataDir: join(dir, id), extra }))
  }
  const [a, b, c] = nodes
  const subscriber = new CrashSubscriber('takeover-sub', {
    clientId: 'takeover-sub',
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 3600 }
  })
  t.after(() => subscriber.drop())
  await subscriber.connect(a.url)
  await subscriber.subscribe('takeover/#', 2)
  const bystander = new CrashSubscriber('takeover-bystander', { clientId: 'takeover-bystander', protocolVersion: 5 })
  t.after(() => bystander.drop())
  await bystander.connect(b.url)
  await bystander.subscribe('takeover/#', 2)
  const look = redisClient(t, redis.url)
  await filterKnown(look, 'node-1', 'takeover/#')
  await filterKnown(look, 'node-2', 'takeover/#')

  const qosOf = new Map<number, 1 | 2>()
  let seq = 0
  const next = (): Outgoing => {
    const number = ++seq
    const qos: 1 | 2 = number % 3 === 0 ? 1 : 2
    qosOf.set(number, qos)
    return { seq: number, qos, topic: `takeover/q${qos}/${number % 4}` }
  }
  const publishers = [await CrashPublisher.connect(c.port, 'takeover-pub-c'), await CrashPublisher.connect(a.port, 'takeover-pub-a')]
  t.after(() => {
    for (const publisher of publishers) publisher.destroy()
  })
  for (const publisher of publishers) publisher.start(WINDOW, next)

  for (let takeover = 1; takeover <= TAKEOVERS; takeover++) {
    await sleep(takeover === 1 ? 500 : BETWEEN_MS)
    const target = takeover % 2 === 1 ? b : a
    const connack = await subscriber.connect(target.url)
    assert.equal(connack.sessionPresent, true, `takeover ${takeover}: the session came along`)
  }
  await sleep(500)
  for (const publisher of publishers) publisher.stop()
  await sleep(500)

  const acknowledged = publishers.flatMap((publisher) => [...publisher.acknowledged])
  assert.ok(acknowledged.length > 100, `${acknowledged.length} messages acknowledged`)
  const counts = new Map<number, number>()
  const deadline = Date.now() + 10_000
  let missing = acknowledged
  while (missing.length > 0 && Date.now() < deadline) {
    await sleep(50)
    counts.clear()
    for (const message of subscriber.received()) {
      const number = Number(message.payload.toString())
      counts.set(number, (counts.get(number) ?? 0) + 1)
    }
    missing = acknowledged.filter((number) => !counts.has(number))
  }
  const outputs = nodes.map((node, index) => `--- node-${index + 1}\n${node.output().slice(-2000)}`).join('\n')
  assert.deepEqual(missing, [], `acknowledged messages missing\n${outputs}`)
  const twice = [...counts].filter(([number, count]) => count > 1 && qosOf.get(number) === 2).map(([number]) => number)
  assert.deepEqual(twice, [], 'QoS 2 messages delivered more than once')
})
