import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import type { IDisconnectPacket } from 'mqtt-packet'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { CrashPublisher } from '../../helpers/crash-publisher.js'
import { CrashSubscriber } from '../../helpers/crash-subscriber.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { NumberedMessages } from '../../helpers/numbered-messages.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { memberOfNode, redisClient } from './cluster-nodes.js'

// A node paused (SIGSTOP) past its liveness is found dead and its sessions are adopted by the other node while it is
// still alive. When it wakes it must not serve them on: it ends its connections (5.0: DISCONNECT 0x9C Use another
// server), writes nothing for them, and exits non-zero for its supervisor (here the test) to start it as a new member.

/** Queues long enough for every message of the test: none is dropped for a full queue while its subscriber is away. */
const nodeArgs = (url: string, id: string) => [
  ...['--host', '127.0.0.1', '--port', '0', '--cluster', url, '--node-id', id],
  ...['--sys-interval', '0', '--max-queued-messages', '1000000']
]

test('a node paused past its liveness drops its clients and exits when it wakes; they resume on the other node with every acknowledged message', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const look = redisClient(t, redis.url)
  const n1 = await startCliBroker(t, nodeArgs(redis.url, 'n1'), 1)
  const n2 = await startCliBroker(t, nodeArgs(redis.url, 'n2'), 1)
  const m2 = await memberOfNode(look, 'n2')

  const v5 = new CrashSubscriber('v5', { clientId: uniqueId('v5'), protocolVersion: 5, properties: { sessionExpiryInterval: 300 } })
  const v311 = new CrashSubscriber('v311', { clientId: uniqueId('v311'), protocolVersion: 4 })
  t.after(() => {
    v5.drop()
    v311.drop()
  })
  await v5.connect(n2.urls[0]!)
  await v5.subscribe('paused/#', 2)
  await v311.connect(n2.urls[0]!)
  await v311.subscribe('paused/#', 1)
  // A bystander on the paused node, to see the DISCONNECT it gets.
  const bystander = await connectClient(t, n2.urls[0]!, { clientId: uniqueId('by'), protocolVersion: 5 })
  const disconnected = new Promise<IDisconnectPacket>((resolve) => bystander.client.once('disconnect', resolve))
  await sleep(300) // n1 hears of n2's filters

  const publisher = await CrashPublisher.connect(Number(new URL(n1.urls[0]!).port), uniqueId('pub'))
  t.after(() => publisher.destroy())
  const messages = new NumberedMessages('paused')
  publisher.start(1, messages.next)
  await sleep(300)

  n2.child.kill('SIGSTOP')
  t.after(() => n2.child.kill('SIGCONT'))
  // n1 finds n2 dead, adopts its sessions and drains its stream: then the stream names n1 as where n2's went.
  for (const deadline = Date.now() + 20_000; (await look.get(`tp:{cluster}:moved:${m2}`)) === null; await sleep(100)) {
    assert.ok(Date.now() < deadline, `n2's sessions were not recovered within 20 s\n${n1.output()}`)
  }
  await sleep(500) // messages keep coming to n1 for the adopted sessions
  publisher.stop()
  n2.child.kill('SIGCONT')

  const [code] = await once(n2.child, 'exit')
  assert.equal(code, 1, n2.output())
  assert.match(n2.output(), /found dead; its sessions are recovered elsewhere/)
  const packet = await disconnected
  assert.equal(packet.reasonCode, 0x9c, 'Use another server')
  assert.equal(v5.online, false)
  assert.equal(v311.online, false)
  assert.equal(await look.exists(`tp:{cluster}:stream:${m2}`), 0, 'the woken node did not make its stream again')

  const acknowledged = [...publisher.acknowledged]
  assert.ok(acknowledged.length > 0)
  for (const subscriber of [v5, v311]) {
    assert.equal((await subscriber.connect(n1.urls[0]!)).sessionPresent, true, subscriber.name)
    for (const deadline = Date.now() + 10_000; ; await sleep(50)) {
      const got = new Set(subscriber.received().map((message) => Number(message.payload.toString())))
      const missing = acknowledged.filter((n) => !got.has(n))
      if (missing.length === 0) break
      assert.ok(
        Date.now() < deadline,
        `${subscriber.name} is missing acknowledged messages ${missing.join(', ')}\n--- n1\n${n1.output()}\n--- n2\n${n2.output()}`
      )
    }
  }
  assert.deepEqual(messages.qos2Twice(v5.received()), [], 'QoS 2 messages delivered more than once')
})
