import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { type Connected, connectClient, connectRaw, rawSubscribe } from '../helpers/flow-clients.js'
import { sleep } from '../helpers/silence.js'

// Shared subscriptions, MQTT 5.0 §4.8.2 (and the same $share filters from 3.1.1 clients).

const payloads = (count: number, prefix = 'm'): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i}`)

async function members(t: Parameters<typeof connectClient>[0], url: string, filter: string, versions: Array<4 | 5>): Promise<Connected[]> {
  const result: Connected[] = []
  for (const protocolVersion of versions) {
    const member = await connectClient(t, url, { protocolVersion })
    await member.client.subscribeAsync(filter, { qos: 1 })
    result.push(member)
  }
  return result
}

/** Waits until the members together hold `count` messages, then returns each member's payloads. */
async function split(group: Connected[], count: number): Promise<string[][]> {
  const deadline = Date.now() + 3000
  while (group.reduce((sum, m) => sum + m.inbox.all.length, 0) < count && Date.now() < deadline) {
    await sleep(20)
  }
  await sleep(200)
  return group.map((m) => m.inbox.all.map((r) => r.payload.toString()))
}

test('$share/g/t/#: 3 members (5.0 and 3.1.1) share 30 messages round robin, 10 each; a plain subscriber gets all 30', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const group = await members(t, running.url, '$share/g/t/#', [5, 4, 5])
  const plain = await connectClient(t, running.url, { protocolVersion: 5 })
  await plain.client.subscribeAsync('t/#', { qos: 1 })
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  const sent = payloads(30)
  for (const p of sent) await pub.client.publishAsync('t/x', p, { qos: 1 })

  const shares = await split(group, 30)
  assert.deepEqual(
    shares.map((s) => s.length),
    [10, 10, 10],
    `split was ${JSON.stringify(shares)}`
  )
  assert.deepEqual(shares.flat().sort(), [...sent].sort(), 'each message to exactly one member')
  for (const m of group) for (const r of m.inbox.all) assert.equal(r.topic, 't/x')
  const all = await plain.inbox.take(30)
  assert.deepEqual(
    all.map((r) => r.payload.toString()),
    sent
  )
  await plain.inbox.none()
})

test('two share groups on the same filter each receive every message once', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const g1 = await members(t, running.url, '$share/g1/s/+', [5, 4])
  const g2 = await members(t, running.url, '$share/g2/s/+', [5])
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  const sent = payloads(10)
  for (const p of sent) await pub.client.publishAsync('s/1', p, { qos: 1 })

  const g1Shares = await split(g1, 10)
  assert.deepEqual(g1Shares.flat().sort(), [...sent].sort())
  assert.deepEqual(
    g1Shares.map((s) => s.length),
    [5, 5]
  )
  const g2Shares = await split(g2, 10)
  assert.deepEqual(g2Shares, [sent])
})

test('retained messages are not sent on a new shared subscription', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('r/1', 'kept', { qos: 1, retain: true })

  const member = await connectClient(t, running.url, { protocolVersion: 5 })
  await member.client.subscribeAsync('$share/g/r/#', { qos: 1 })
  // Control: a plain subscription to the same filter does get it.
  const plain = await connectClient(t, running.url, { protocolVersion: 5 })
  await plain.client.subscribeAsync('r/#', { qos: 1 })
  const retained = await plain.inbox.takeOne()
  assert.deepEqual([retained.topic, retained.payload.toString(), retained.packet.retain], ['r/1', 'kept', true])
  await member.inbox.none()

  // Live messages still reach the shared subscription.
  await pub.client.publishAsync('r/1', 'live', { qos: 1 })
  const live = await member.inbox.takeOne()
  assert.deepEqual([live.topic, live.payload.toString()], ['r/1', 'live'])
})

const badShares = ['$share/g', '$share//t', '$share/g+/t', '$share/g#/t']

test('MQTT 5.0: invalid share filters get SUBACK 0x8F, a valid one in the same SUBSCRIBE is granted', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  const codes = await rawSubscribe(c, [...badShares.map((topic) => ({ topic, qos: 1 as const })), { topic: '$share/g/ok', qos: 1 }])
  // [MQTT-4.8.2-1], [MQTT-4.8.2-2]: ShareName of at least one character, no / + #, followed by / and a filter.
  assert.deepEqual(codes, [0x8f, 0x8f, 0x8f, 0x8f, 1])
})

test('MQTT 3.1.1: invalid share filters get SUBACK 0x80, a valid one is granted', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  const codes = await rawSubscribe(c, [...badShares.map((topic) => ({ topic, qos: 1 as const })), { topic: '$share/g/ok', qos: 2 }])
  assert.deepEqual(codes, [0x80, 0x80, 0x80, 0x80, 2])
})

test('when a member disconnects the remaining members receive every message', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const group = await members(t, running.url, '$share/g/d/#', [5, 4, 5])
  const pub = await connectClient(t, running.url, { protocolVersion: 5 })

  const before = payloads(3, 'before')
  for (const p of before) await pub.client.publishAsync('d/1', p, { qos: 1 })
  assert.deepEqual(
    (await split(group, 3)).map((s) => s.length),
    [1, 1, 1]
  )

  await group[1]!.client.endAsync()
  await sleep(100)
  const after = payloads(12, 'after')
  for (const p of after) await pub.client.publishAsync('d/1', p, { qos: 1 })

  const shares = await split(group, 15)
  assert.equal(shares[1]!.length, 1, `the departed member gets nothing more: ${JSON.stringify(shares[1])}`)
  assert.ok(shares[1]![0]!.startsWith('before'))
  const rest = [...shares[0]!, ...shares[2]!].filter((p) => p.startsWith('after'))
  assert.deepEqual(rest.sort(), [...after].sort())
})
