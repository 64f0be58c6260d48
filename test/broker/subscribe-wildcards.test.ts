import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../helpers/flow-clients.js'
import { expectSilence, sleep } from '../helpers/silence.js'

// Topic filter matching (MQTT 3.1.1 §4.7, MQTT 5.0 §4.7), invalid filters in SUBSCRIBE and UNSUBSCRIBE.

/** Every topic published in the matching tests; each filter below names the ones it must receive. */
const topics = ['a', 'a/', 'a/b', 'a/b/c', 'ab', 'b/a', '/x', 'a/x', '$app', '$app/x', '$app/x/y', 'app/x']

const cases: Array<{ filter: string; matches: string[]; why: string }> = [
  { filter: 'a/+', matches: ['a/', 'a/b', 'a/x'], why: '+ is exactly one level, possibly empty' },
  { filter: 'a/#', matches: ['a', 'a/', 'a/b', 'a/b/c', 'a/x'], why: 'a/# also matches the parent a [MQTT-4.7.1-2]' },
  { filter: '#', matches: ['a', 'a/', 'a/b', 'a/b/c', 'ab', 'b/a', '/x', 'a/x', 'app/x'], why: '# skips $-topics [MQTT-4.7.2-1]' },
  { filter: '+/+', matches: ['a/', 'a/b', 'b/a', '/x', 'a/x', 'app/x'], why: '/x has two levels, the first empty' },
  { filter: '+/x', matches: ['/x', 'a/x', 'app/x'], why: '+ at the first level skips $-topics [MQTT-4.7.2-1]' },
  { filter: '+', matches: ['a', 'ab'], why: '+ alone matches one non-$ level' },
  { filter: '/+', matches: ['/x'], why: 'a leading / makes an empty first level' },
  { filter: '$app/#', matches: ['$app', '$app/x', '$app/x/y'], why: 'a filter starting with $app matches $app topics' },
  { filter: '$app/+', matches: ['$app/x'], why: '+ after a literal $app level' }
]

for (const { filter, matches, why } of cases) {
  test(`filter ${filter} receives exactly ${matches.join(' ')} (${why})`, async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const sub = await connectClient(t, running.url, { protocolVersion: 5 })
    await sub.client.subscribeAsync(filter, { qos: 1 })
    const pub = await connectClient(t, running.url, { protocolVersion: 5 })

    for (const topic of topics) await pub.client.publishAsync(topic, `to ${topic}`, { qos: 1 })

    const got = await sub.inbox.take(matches.length)
    assert.deepEqual(got.map((m) => m.topic).sort(), [...matches].sort())
    for (const m of got) assert.equal(m.payload.toString(), `to ${m.topic}`)
    await sub.inbox.none()
  })
}

test('MQTT 3.1.1: # and +/x do not match $app topics, $app/# does', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const all = await connectClient(t, running.url, { protocolVersion: 4 })
  await all.client.subscribeAsync({ '#': { qos: 1 }, '+/x': { qos: 1 } })
  const app = await connectClient(t, running.url, { protocolVersion: 4 })
  await app.client.subscribeAsync('$app/#', { qos: 1 })
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })

  await pub.client.publishAsync('$app/x', 'dollar', { qos: 1 })
  await pub.client.publishAsync('plain/x', 'plain', { qos: 1 })

  const appGot = await app.inbox.takeOne()
  assert.deepEqual([appGot.topic, appGot.payload.toString()], ['$app/x', 'dollar'])
  const allGot = await all.inbox.takeOne()
  assert.deepEqual([allGot.topic, allGot.payload.toString()], ['plain/x', 'plain'])
  await app.inbox.none()
  await all.inbox.none()
})

const invalidFilters = ['a/#/b', 'a+', '#a', '']

test('MQTT 3.1.1: each invalid filter gets SUBACK 0x80 while the valid ones in the same SUBSCRIBE are granted', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  const codes = await rawSubscribe(c, [
    { topic: 'ok/1', qos: 1 },
    ...invalidFilters.map((topic) => ({ topic, qos: 1 as const })),
    { topic: 'ok/2', qos: 2 }
  ])
  assert.deepEqual(codes, [1, 0x80, 0x80, 0x80, 0x80, 2])

  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('ok/2', 'granted', { qos: 2 })
  const got = await nextOf(c.raw, 'publish')
  assert.deepEqual([got.topic, got.payload.toString(), got.qos], ['ok/2', 'granted', 2])
})

test('MQTT 5.0: each invalid filter gets SUBACK 0x8F Topic Filter invalid while the valid ones are granted', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  const codes = await rawSubscribe(c, [
    { topic: 'ok/1', qos: 1 },
    ...invalidFilters.map((topic) => ({ topic, qos: 1 as const })),
    { topic: 'ok/2', qos: 2 }
  ])
  assert.deepEqual(codes, [1, 0x8f, 0x8f, 0x8f, 0x8f, 2])

  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('ok/1', 'granted', { qos: 1 })
  const got = await nextOf(c.raw, 'publish')
  assert.deepEqual([got.topic, got.payload.toString(), got.qos], ['ok/1', 'granted', 1])
})

test('MQTT 5.0: UNSUBACK says 0x00 for an existing subscription and 0x11 for none, and delivery stops', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 5)
  assert.deepEqual(
    await rawSubscribe(c, [
      { topic: 'u/+', qos: 1 },
      { topic: 'keep/#', qos: 1 }
    ]),
    [1, 1]
  )

  c.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['u/+', 'never/subscribed'] })
  const unsuback = await nextOf(c.raw, 'unsuback')
  assert.equal(unsuback.messageId, 2)
  assert.deepEqual(unsuback.granted, [0x00, 0x11])

  const pub = await connectClient(t, running.url, { protocolVersion: 5 })
  await pub.client.publishAsync('u/1', 'gone', { qos: 1 })
  await pub.client.publishAsync('keep/1', 'kept', { qos: 1 })
  const got = await nextOf(c.raw, 'publish')
  assert.deepEqual([got.topic, got.payload.toString()], ['keep/1', 'kept'])
  c.send({ cmd: 'puback', messageId: got.messageId })
  await expectSilence(c.raw)
})

test('MQTT 3.1.1: UNSUBACK echoes the packet id and delivery stops', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const c = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(c, [{ topic: 'u/#', qos: 0 }]), [0])
  const pub = await connectClient(t, running.url, { protocolVersion: 4 })
  await pub.client.publishAsync('u/1', 'before', { qos: 1 })
  assert.equal((await nextOf(c.raw, 'publish')).payload.toString(), 'before')

  c.send({ cmd: 'unsubscribe', messageId: 9, unsubscriptions: ['u/#'] })
  assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 9)
  await pub.client.publishAsync('u/1', 'after', { qos: 1 })
  await sleep(50)
  await expectSilence(c.raw)
})
