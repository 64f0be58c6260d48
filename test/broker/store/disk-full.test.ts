import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import type { IPubackPacket, IPubrecPacket } from 'mqtt-packet'
import { Broker } from '../../../broker/broker.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { RawClient } from '../../helpers/raw-client.js'

/**
 * A full disk: the broker must refuse QoS 1/2 messages it cannot make durable instead of
 * acknowledging them. `maxPages` caps the database the way a full file system does (SQLITE_FULL).
 */
async function brokerOnSmallDisk(t: TestContext): Promise<{ port: number; url: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-full-'))
  const broker = new Broker(
    { sysInterval: 0, maxPacketSize: 4 * 1024 * 1024, maxQueuedBytes: 64 * 1024 * 1024 },
    { store: new SqliteStore({ dataDir, maxPages: 256 }) }
  )
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  // A persistent subscriber, offline: every message is written to its queue on disk.
  const keeper = await connectClient(t, `mqtt://127.0.0.1:${port}`, { clientId: 'keeper', clean: false })
  await keeper.client.subscribeAsync('fill/#', { qos: 1 })
  await keeper.client.endAsync()
  return { port, url: `mqtt://127.0.0.1:${port}` }
}

async function rawPublisher(t: TestContext, port: number, protocolVersion: 4 | 5): Promise<RawClient> {
  const client = await RawClient.open(port, protocolVersion)
  t.after(() => client.destroy())
  client.send(
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion, clientId: `filler-${protocolVersion}`, clean: true, keepalive: 0 },
    protocolVersion
  )
  assert.equal((await client.next()).cmd, 'connack')
  return client
}

const MEGABYTE = Buffer.alloc(1024 * 1024, 7)

test('5.0: a QoS 1 and a QoS 2 message that do not fit on disk get 0x97 Quota exceeded, a small one before them is acknowledged', async (t) => {
  const { port } = await brokerOnSmallDisk(t)
  const client = await rawPublisher(t, port, 5)
  client.send({ cmd: 'publish', topic: 'fill/small', payload: Buffer.from('fits'), qos: 1, dup: false, retain: false, messageId: 1 }, 5)
  const small = (await client.next()) as IPubackPacket
  assert.deepEqual([small.cmd, small.messageId, small.reasonCode ?? 0], ['puback', 1, 0])

  client.send({ cmd: 'publish', topic: 'fill/big', payload: MEGABYTE, qos: 1, dup: false, retain: false, messageId: 2 }, 5)
  const refused = (await client.next(5000)) as IPubackPacket
  assert.deepEqual([refused.cmd, refused.messageId, refused.reasonCode], ['puback', 2, 0x97])

  client.send({ cmd: 'publish', topic: 'fill/big2', payload: MEGABYTE, qos: 2, dup: false, retain: false, messageId: 3 }, 5)
  const refusedQos2 = (await client.next(5000)) as IPubrecPacket
  assert.deepEqual([refusedQos2.cmd, refusedQos2.messageId, refusedQos2.reasonCode], ['pubrec', 3, 0x97])
  assert.equal(client.isClosed, false, 'a 5.0 client stays connected after a refusal')
})

test('3.1.1: a message that does not fit on disk is never acknowledged: the connection closes so the client resends later', async (t) => {
  const { port } = await brokerOnSmallDisk(t)
  const client = await rawPublisher(t, port, 4)
  client.send({ cmd: 'publish', topic: 'fill/big', payload: MEGABYTE, qos: 1, dup: false, retain: false, messageId: 9 }, 4)
  assert.equal(await client.waitClosed(5000), true)
  assert.deepEqual(
    client.pending().filter((packet) => packet.cmd === 'puback'),
    [],
    'no PUBACK for the refused message'
  )
})

test('after a refusal the broker still stores and acknowledges what fits', async (t) => {
  const { port, url } = await brokerOnSmallDisk(t)
  const client = await rawPublisher(t, port, 5)
  client.send({ cmd: 'publish', topic: 'fill/big', payload: MEGABYTE, qos: 1, dup: false, retain: false, messageId: 1 }, 5)
  assert.equal(((await client.next(5000)) as IPubackPacket).reasonCode, 0x97)
  client.send({ cmd: 'publish', topic: 'fill/after', payload: Buffer.from('later'), qos: 1, dup: false, retain: false, messageId: 2 }, 5)
  const ack = (await client.next(5000)) as IPubackPacket
  assert.deepEqual([ack.cmd, ack.messageId, ack.reasonCode ?? 0], ['puback', 2, 0])
  // The refused message may still reach the session from memory (it was routed before the commit
  // failed; only its acknowledgement is withheld): what matters is that the later one is stored and comes.
  const keeper = await connectClient(t, url, { clientId: 'keeper', clean: false })
  const received = await keeper.inbox.take(1)
  const topics = [received[0].topic]
  if (topics[0] !== 'fill/after') topics.push((await keeper.inbox.take(1))[0].topic)
  assert.equal(topics[topics.length - 1], 'fill/after')
})
