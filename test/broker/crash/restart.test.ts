import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { runToExit, startBrokerProcess, tempDir } from '../../helpers/crash-broker.js'
import { connectClient, connectRaw, goOffline, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { sleep } from '../../helpers/silence.js'

// The broker as a child process on a data directory, stopped (SIGTERM) or killed (SIGKILL) and started
// again on the same directory: what a persistent store must bring back, what must have expired in
// the meantime by the wall clock, and how the broker behaves when the directory or file is bad.

const v5Session = (clientId: string, sessionExpiryInterval: number) => ({
  clientId,
  clean: false,
  protocolVersion: 5 as const,
  properties: { sessionExpiryInterval }
})

const texts = (messages: Array<{ topic: string; payload: Buffer }>): string[] => messages.map((m) => `${m.topic}=${m.payload.toString()}`)

test('retained messages survive a SIGKILL, and one cleared by an empty payload stays cleared', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const publisher = await connectClient(t, first.url, { clientId: 'retainer' })
  await publisher.client.publishAsync('room/1/temp', '21.5', { qos: 1, retain: true })
  await publisher.client.publishAsync('room/2/temp', '19.0', { qos: 1, retain: true })
  await publisher.client.publishAsync('room/2/temp', '', { qos: 1, retain: true })
  await publisher.client.endAsync()
  await first.kill('SIGKILL')

  const second = await startBrokerProcess(t, { dataDir })
  const late = await connectClient(t, second.url, { clientId: 'late' })
  await late.client.subscribeAsync('room/+/temp', { qos: 1 })
  const retained = await late.inbox.takeOne()
  assert.equal(`${retained.topic}=${retained.payload.toString()}`, 'room/1/temp=21.5')
  assert.equal(retained.packet.retain, true)
  await late.inbox.none()
})

test('session expiry runs on the wall clock while the broker is down', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const short = v5Session('expires-in-2s', 2)
  const long = v5Session('expires-in-60s', 60)
  for (const options of [short, long]) {
    const subscriber = await connectClient(t, first.url, options)
    await subscriber.client.subscribeAsync('exp/#', { qos: 1 })
    await goOffline(subscriber.client)
  }
  const publisher = await connectClient(t, first.url, { clientId: 'exp-pub', protocolVersion: 5 })
  for (const text of ['m1', 'm2', 'm3']) await publisher.client.publishAsync('exp/a', text, { qos: 1 })
  await publisher.client.endAsync()
  assert.deepEqual(await first.kill('SIGTERM'), { code: 0, signal: null }, first.output())
  await sleep(3000)

  const second = await startBrokerProcess(t, { dataDir })
  const gone = await connectClient(t, second.url, short)
  assert.equal(gone.connack.sessionPresent, false, 'a 2 s session must have expired during 3 s of downtime')
  await gone.inbox.none()
  const kept = await connectClient(t, second.url, long)
  assert.equal(kept.connack.sessionPresent, true, 'a 60 s session must outlive 3 s of downtime')
  assert.deepEqual(texts(await kept.inbox.take(3)), ['exp/a=m1', 'exp/a=m2', 'exp/a=m3'])
  await kept.inbox.none()
})

test('message expiry runs on the wall clock while the broker is down', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const session = v5Session('mx-sub', 300)
  const subscriber = await connectClient(t, first.url, session)
  await subscriber.client.subscribeAsync('mx/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.url, { clientId: 'mx-pub', protocolVersion: 5 })
  await publisher.client.publishAsync('mx/short', 'gone', { qos: 1, properties: { messageExpiryInterval: 2 } })
  await publisher.client.publishAsync('mx/long', 'kept', { qos: 1, properties: { messageExpiryInterval: 60 } })
  await publisher.client.endAsync()
  await first.kill('SIGKILL')
  await sleep(3000)

  const second = await startBrokerProcess(t, { dataDir })
  const resumed = await connectClient(t, second.url, session)
  assert.equal(resumed.connack.sessionPresent, true)
  const message = await resumed.inbox.takeOne()
  assert.equal(`${message.topic}=${message.payload.toString()}`, 'mx/long=kept')
  const left = message.packet.properties?.messageExpiryInterval
  assert.ok(
    left !== undefined && left > 0 && left <= 57,
    `messageExpiryInterval must be what is left of 60 s after 3 s of downtime, got ${left}`
  )
  await resumed.inbox.none()
})

test('a persistent session keeps its subscriptions (and not the ones it dropped) across a SIGKILL', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const session = v5Session('keeps-subs', 300)
  const subscriber = await connectClient(t, first.url, session)
  await subscriber.client.subscribeAsync({ 'sub/q1/#': { qos: 1 }, 'sub/q2/#': { qos: 2 }, 'sub/dropped/#': { qos: 1 } })
  await subscriber.client.unsubscribeAsync('sub/dropped/#')
  // A QoS 1 round trip after the (un)subscribe: its PUBACK waits for a commit that covers them.
  const publisher = await connectClient(t, first.url, { clientId: 'subs-pub' })
  await publisher.client.publishAsync('sub/q1/before', 'b', { qos: 1 })
  await subscriber.inbox.take(1)
  await publisher.client.endAsync()
  subscriber.client.on('error', () => {})
  await first.kill('SIGKILL')

  const second = await startBrokerProcess(t, { dataDir })
  const resumed = await connectClient(t, second.url, session)
  assert.equal(resumed.connack.sessionPresent, true)
  const after = await connectClient(t, second.url, { clientId: 'subs-pub-2' })
  await after.client.publishAsync('sub/dropped/x', 'not for you', { qos: 1 })
  await after.client.publishAsync('sub/q1/x', 'one', { qos: 1 })
  await after.client.publishAsync('sub/q2/x', 'two', { qos: 2 })
  // The kill may come before the commit that forgot 'before' (the subscriber's PUBACK): then it is
  // redelivered, with DUP set, ahead of the rest. At least once allows that; nothing else may differ.
  let received = await resumed.inbox.take(2)
  if (received[0].topic === 'sub/q1/before') {
    assert.equal(received[0].packet.dup, true, 'a redelivery carries DUP')
    received = [received[1], ...(await resumed.inbox.take(1))]
  }
  assert.deepEqual(
    received.map((m) => `${m.topic}=${m.payload.toString()}@${m.packet.qos}`),
    ['sub/q1/x=one@1', 'sub/q2/x=two@2']
  )
  await resumed.inbox.none()
})

test('a 3.1.1 clean=false session gets its queued QoS 1 messages in order after a SIGKILL', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const session = { clientId: 'v311-keeper', clean: false, protocolVersion: 4 as const }
  const subscriber = await connectClient(t, first.url, session)
  await subscriber.client.subscribeAsync('q/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.url, { clientId: 'v311-pub', protocolVersion: 4 })
  const sent = Array.from({ length: 10 }, (_, i) => `m${i + 1}`)
  await Promise.all(sent.map((text) => publisher.client.publishAsync('q/t', text, { qos: 1 })))
  await publisher.client.endAsync()
  await first.kill('SIGKILL')

  const second = await startBrokerProcess(t, { dataDir })
  const resumed = await connectClient(t, second.url, session)
  assert.equal(resumed.connack.sessionPresent, true)
  const received = await resumed.inbox.take(10)
  assert.deepEqual(
    received.map((m) => m.payload.toString()),
    sent
  )
  assert.ok(received.every((m) => m.packet.qos === 1))
  await resumed.inbox.none()
})

test('an in-flight QoS 1 message never PUBACKed is sent again with DUP=1 after a SIGKILL', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir })
  const connect = { clientId: 'never-acks', clean: false }
  const holder = await connectRaw(t, first.port, 4, connect)
  assert.deepEqual(await rawSubscribe(holder, [{ topic: 'inflight/#', qos: 1 }]), [1])
  const publisher = await connectClient(t, first.url, { clientId: 'inflight-pub' })
  await publisher.client.publishAsync('inflight/x', 'held', { qos: 1 })
  const sent = await nextOf(holder.raw, 'publish')
  assert.equal(sent.dup, false)
  assert.equal(sent.payload.toString(), 'held')
  await publisher.client.endAsync()
  await first.kill('SIGKILL')

  const second = await startBrokerProcess(t, { dataDir })
  const again = await connectRaw(t, second.port, 4, connect)
  assert.equal(again.connack.sessionPresent, true)
  const resent = await nextOf(again.raw, 'publish')
  assert.deepEqual(
    { topic: resent.topic, payload: resent.payload.toString(), qos: resent.qos, dup: resent.dup, messageId: resent.messageId },
    { topic: 'inflight/x', payload: 'held', qos: 1, dup: true, messageId: sent.messageId }
  )
})

test('--store memory forgets sessions on restart', async (t) => {
  const dataDir = tempDir(t)
  const first = await startBrokerProcess(t, { dataDir, store: 'memory' })
  const session = v5Session('forgotten', 300)
  const subscriber = await connectClient(t, first.url, session)
  await subscriber.client.subscribeAsync('mem/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.url, { clientId: 'mem-pub' })
  await publisher.client.publishAsync('mem/a', 'queued', { qos: 1 })
  await publisher.client.publishAsync('mem/retained', 'kept?', { qos: 1, retain: true })
  await publisher.client.endAsync()
  assert.deepEqual(await first.kill('SIGTERM'), { code: 0, signal: null }, first.output())

  const second = await startBrokerProcess(t, { dataDir, store: 'memory' })
  const resumed = await connectClient(t, second.url, session)
  assert.equal(resumed.connack.sessionPresent, false)
  await resumed.client.subscribeAsync('mem/#', { qos: 1 })
  await resumed.inbox.none()
})

test('a data directory that cannot be created stops the broker with a message naming it', async (t) => {
  const file = join(tempDir(t), 'a-file')
  writeFileSync(file, 'not a directory')
  const dataDir = join(file, 'data')
  const result = await runToExit({ dataDir })
  assert.equal(result.signal, null, `the broker must exit by itself, not start:\n${result.output}`)
  assert.notEqual(result.code, 0, result.output)
  assert.ok(result.output.includes(dataDir), `the message must name ${dataDir}:\n${result.output}`)
})

const garbage = Buffer.from('this is not a database'.repeat(100))

test("a corrupt broker.db stops the broker, names the file and SQLite's complaint, and is left as it was", async (t) => {
  const dataDir = tempDir(t)
  const dbPath = join(dataDir, 'broker.db')
  writeFileSync(dbPath, garbage)
  const result = await runToExit({ dataDir })
  assert.equal(result.signal, null, `the broker must exit by itself, not start:\n${result.output}`)
  assert.notEqual(result.code, 0, result.output)
  assert.ok(result.output.includes(dbPath), `the message must name ${dbPath}:\n${result.output}`)
  assert.match(result.output, /not a database/i, 'the message must say what SQLite said')
  assert.ok(readFileSync(dbPath).equals(garbage), 'broker.db must be left untouched')
})

test('--recover moves a corrupt broker.db aside, says where, and serves clients', async (t) => {
  const dataDir = tempDir(t)
  const dbPath = join(dataDir, 'broker.db')
  writeFileSync(dbPath, garbage)
  const broker = await startBrokerProcess(t, { dataDir, recover: true })

  const subscriber = await connectClient(t, broker.url, { clientId: 'after-recover' })
  await subscriber.client.subscribeAsync('recovered/#', { qos: 1 })
  const publisher = await connectClient(t, broker.url, { clientId: 'after-recover-pub' })
  await publisher.client.publishAsync('recovered/x', 'works', { qos: 1, retain: true })
  assert.equal((await subscriber.inbox.takeOne()).payload.toString(), 'works')

  const moved = readdirSync(dataDir)
    .map((name) => join(dataDir, name))
    .filter((path) => path !== dbPath && existsSync(path) && readFileSync(path).equals(garbage))
  assert.equal(moved.length, 1, `the damaged file must be kept in ${dataDir}: ${readdirSync(dataDir).join(', ')}`)
  assert.ok(broker.output().includes(moved[0]!), `the log must say where the file went (${moved[0]}):\n${broker.output()}`)
  assert.ok(!readFileSync(dbPath).equals(garbage), 'broker.db must be a new database')

  // The new database is a working one: a restart without --recover keeps the retained message.
  await subscriber.client.endAsync()
  await publisher.client.endAsync()
  assert.deepEqual(await broker.kill('SIGTERM'), { code: 0, signal: null }, broker.output())
  const again = await startBrokerProcess(t, { dataDir })
  const late = await connectClient(t, again.url, { clientId: 'late' })
  await late.client.subscribeAsync('recovered/#', { qos: 1 })
  assert.equal((await late.inbox.takeOne()).payload.toString(), 'works')
})
