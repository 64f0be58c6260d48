import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { Broker } from '../../../broker/broker.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { connectRaw, nextOf } from '../../helpers/flow-clients.js'

/**
 * On the durable store a PUBACK waits for the commit that holds the message, so a fast publisher can have
 * more QoS 1 PUBLISHes outstanding than the broker's Receive Maximum. A 5.0 client was told the limit and is
 * disconnected for passing it; a 3.1.1 client never was, so it is slowed down (read no further), not cut off.
 */
async function durableBroker(t: TestContext): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-rxmax-'))
  const broker = new Broker({ sysInterval: 0, receiveMaximum: 4 }, { store: new SqliteStore({ dataDir }) })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(async () => {
    await broker.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return port
}

test('a 3.1.1 publisher with more QoS 1 PUBLISHes outstanding than Receive Maximum gets every PUBACK, in order, and stays connected', async (t) => {
  const port = await durableBroker(t)
  const c = await connectRaw(t, port, 4)
  const count = 60
  // One burst: all 60 arrive before the first commit can finish.
  for (let messageId = 1; messageId <= count; messageId++) {
    c.send({ cmd: 'publish', topic: 'burst/t', payload: Buffer.from(String(messageId)), qos: 1, dup: false, retain: false, messageId })
  }
  const acked: number[] = []
  for (let index = 0; index < count; index++) acked.push((await nextOf(c.raw, 'puback')).messageId!)
  assert.deepEqual(
    acked,
    Array.from({ length: count }, (_, index) => index + 1)
  )
  c.send({ cmd: 'pingreq' })
  assert.equal((await nextOf(c.raw, 'pingresp')).cmd, 'pingresp', 'still connected')
})

test('a 5.0 publisher passing the Receive Maximum it was told is disconnected with 0x93', async (t) => {
  const port = await durableBroker(t)
  const c = await connectRaw(t, port, 5)
  assert.equal(c.connack.properties?.receiveMaximum, 4)
  for (let messageId = 1; messageId <= 60; messageId++) {
    c.send({ cmd: 'publish', topic: 'burst/t', payload: Buffer.from(String(messageId)), qos: 1, dup: false, retain: false, messageId })
  }
  // PUBACKs of commits that finished first may come before it; then DISCONNECT 0x93, and nothing more.
  let packet = await c.raw.next()
  let pubacks = 0
  while (packet.cmd === 'puback') {
    pubacks++
    packet = await c.raw.next()
  }
  assert.deepEqual([packet.cmd, (packet as { reasonCode?: number }).reasonCode], ['disconnect', 0x93])
  assert.ok(pubacks < 60, `${pubacks} acknowledged before the limit was passed`)
  assert.equal(await c.raw.waitClosed(), true)
})
