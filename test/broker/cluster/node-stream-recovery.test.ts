import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { ClusterKeys, STREAM_GROUP } from '../../../broker/cluster/cluster-keys.js'
import { encodeBody, encodeRecordHead, type ForwardedMessage } from '../../../broker/cluster/forwarded-codec.js'
import { NodeStream } from '../../../broker/cluster/node-stream.js'
import type { Message } from '../../../broker/message.js'
import { RedisStore } from '../../../broker/store/redis.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'

// The stream hop when a member dies: what other members append to its stream after its recoverer drained it goes to
// the recoverer, for the sessions adopted from it; and a drain skips the entries a session already had delivered.

let server: RunningRedis
let prefixes = 0
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

function message(seq: number): Message {
  return {
    id: seq,
    topic: 'plant/boiler',
    payload: Buffer.from(String(seq)),
    qos: 2,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: Date.now(),
    origin: 'boiler',
    forms: undefined
  }
}

/** What a member's stream handed its sink: each record's payload, with the sessions it was limited to. */
interface Delivered {
  payload: string
  onlyClients: string[] | 'all'
}

/** A member's stream on its own Redis connections, with a sink that records what reaches it. */
async function memberStream(
  t: TestContext,
  keys: ClusterKeys,
  member: string,
  adopted: Map<string, ReadonlySet<string>> = new Map(),
  sources?: RedisStore
): Promise<{ stream: NodeStream; delivered: Delivered[]; had: Array<ReadonlyMap<string, readonly string[]>> }> {
  const connections = { commands: new Redis(server.url), reader: new Redis(server.url) }
  const delivered: Delivered[] = []
  const had: Array<ReadonlyMap<string, readonly string[]>> = []
  const sink = {
    deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>) {
      for (const record of records)
        delivered.push({ payload: record.message.payload.toString(), onlyClients: onlyClients === undefined ? 'all' : [...onlyClients] })
    },
    durable: async () => {},
    held: () => undefined,
    holding: () => undefined,
    had: (messages: ReadonlyMap<string, readonly string[]>) => had.push(messages),
    adoptedFrom: (deadMember: string) => adopted.get(deadMember),
    handedOverFrom: () => undefined
  }
  const stream = new NodeStream(member, connections, keys, sink, pino({ level: 'silent' }))
  if (sources !== undefined) stream.recordSources(sources)
  await stream.start()
  t.after(async () => {
    await stream.stop()
    connections.commands.disconnect()
  })
  return { stream, delivered, had }
}

function appendMessage(stream: NodeStream, member: string, seq: number): void {
  const body = encodeBody(message(seq))
  stream.append(member, encodeRecordHead({ plain: true, groups: [], publisher: 'node-s@1' }, 'node-s@1', body.length), body)
}

/** A dead member's stream with messages 1..`count` in it, never read, and the member that sent them. */
async function deadStream(t: TestContext, keys: ClusterKeys, dead: string, count: number): Promise<{ look: Redis; sender: NodeStream }> {
  const look = new Redis(server.url)
  t.after(() => look.disconnect())
  await look.xgroup('CREATE', keys.stream(dead), STREAM_GROUP, '0', 'MKSTREAM')
  const { stream: sender } = await memberStream(t, keys, 'node-s@1')
  for (let seq = 1; seq <= count; seq++) {
    appendMessage(sender, dead, seq)
    await sender.flush() // one entry each
  }
  return { look, sender }
}

test('an append to a dead member whose stream was drained goes to its recoverer, for the sessions adopted from it only', async (t) => {
  const keys = new ClusterKeys(`stream-${process.pid}-${++prefixes}:`)
  const dead = 'node-d@1'
  const { look, sender } = await deadStream(t, keys, dead, 1)

  const recoverer = await memberStream(t, keys, 'node-r@1', new Map([[dead, new Set(['adopted-1'])]]))
  await recoverer.stream.drain(dead, new Set(['adopted-1']))
  assert.deepEqual(recoverer.delivered, [{ payload: '1', onlyClients: ['adopted-1'] }])
  assert.equal(await look.exists(keys.stream(dead)), 0, 'the drained stream is gone')
  assert.equal(await look.get(keys.moved(dead)), 'node-r@1')

  // A sender that had not yet heard of the death: its append finds no stream, and goes to the recoverer.
  appendMessage(sender, dead, 2)
  await sender.flush()
  assert.equal(await look.exists(keys.stream(dead)), 0, 'the append did not bring the dead stream back')
  const deadline = Date.now() + 5000
  while (recoverer.delivered.length < 2) {
    assert.ok(Date.now() < deadline, 'the redirected entry reached the recoverer')
    await sleep(20)
  }
  assert.deepEqual(recoverer.delivered[1], { payload: '2', onlyClients: ['adopted-1'] })
})

test('an append to a member with no stream and no recoverer is refused, so nothing is acknowledged for it', async (t) => {
  const keys = new ClusterKeys(`stream-${process.pid}-${++prefixes}:`)
  const sender = await memberStream(t, keys, 'node-s@1')
  appendMessage(sender.stream, 'node-x@1', 1)
  await assert.rejects(sender.stream.flush(), /no stream, and no recoverer/)
})

test("a drain skips the entries a session's own writes say it already had, and delivers the rest", async (t) => {
  const keyPrefix = `stream-${process.pid}-${++prefixes}:`
  const keys = new ClusterKeys(keyPrefix)
  const dead = 'node-d@1'
  const { look } = await deadStream(t, keys, dead, 2)
  const [first] = (await look.xrange(keys.stream(dead), '-', '+')).map(([id]) => id)

  // The dead member had delivered the first entry into both sessions and made it durable, then died before XACK.
  const store = new RedisStore({ url: server.url, keyPrefix })
  await store.open()
  t.after(() => store.close())
  for (const clientId of ['had-it', 'missed-it'])
    store.saveSession({ clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: undefined } })
  store.deliveringFrom({ stream: keys.stream(dead), id: first! })
  store.queue('had-it').push({ message: message(1), qos: 2, retain: false, subscriptionIds: undefined })
  store.deliveringFrom(undefined)
  await store.flush()
  assert.deepEqual(await store.deliveredFrom(keys.stream(dead), ['had-it', 'missed-it']), new Map([['had-it', first]]))

  const recoverer = await memberStream(t, keys, 'node-r@1', new Map(), store)
  await recoverer.stream.drain(dead, new Set(['had-it', 'missed-it']))
  assert.deepEqual(recoverer.delivered, [
    { payload: '1', onlyClients: ['missed-it'] },
    { payload: '2', onlyClients: ['had-it', 'missed-it'] }
  ])
  await store.flush()
  assert.deepEqual(await store.deliveredFrom(keys.stream(dead), ['had-it', 'missed-it']), new Map(), 'forgotten once drained')
})

test('while a message is delivered, the sessions new on their node record its identity with their writes; a drain hands them over', async (t) => {
  const keyPrefix = `stream-${process.pid}-${++prefixes}:`
  const keys = new ClusterKeys(keyPrefix)
  const dead = 'node-d@1'
  await deadStream(t, keys, dead, 1)

  const store = new RedisStore({ url: server.url, keyPrefix })
  await store.open()
  t.after(() => store.close())
  for (const clientId of ['moved-here', 'settled'])
    store.saveSession({ clientId, protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: undefined } })
  await store.flush()
  const delivery = { message: message(7), qos: 2 as const, retain: false, subscriptionIds: undefined }
  store.deliveringMessage('node-p@1#7', (clientId) => clientId === 'moved-here')
  store.queue('moved-here').push(delivery)
  store.queue('settled').push(delivery)
  store.deliveringMessage(undefined)
  // Written after the message was delivered: records nothing.
  store.queue('moved-here').push({ ...delivery, message: message(8) })
  await store.flush()
  assert.deepEqual(await store.deliveredMessages(['moved-here', 'settled']), new Map([['moved-here', ['node-p@1#7']]]))

  const recoverer = await memberStream(t, keys, 'node-r@1', new Map(), store)
  await recoverer.stream.drain(dead, new Set(['moved-here', 'settled']))
  assert.deepEqual(recoverer.had, [new Map([['moved-here', ['node-p@1#7']]])])
})

test('every message delivered to a session in one batch has its identity recorded', async (t) => {
  const store = new RedisStore({ url: server.url, keyPrefix: `stream-${process.pid}-${++prefixes}:` })
  await store.open()
  t.after(() => store.close())
  store.saveSession({ clientId: 'moved-here', protocolVersion: 5, expiryInterval: 60, disconnectedAt: 1, owner: { username: undefined } })
  await store.flush()
  for (const seq of [7, 8, 9]) {
    store.deliveringMessage(`node-p@1#${seq}`, () => true)
    store.queue('moved-here').push({ message: message(seq), qos: 2, retain: false, subscriptionIds: undefined })
    store.deliveringMessage(undefined)
  }
  await store.flush()
  assert.deepEqual(await store.deliveredMessages(['moved-here']), new Map([['moved-here', ['node-p@1#7', 'node-p@1#8', 'node-p@1#9']]]))
})
