import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Broker } from '../../../broker/broker.js'
import { MemoryStore } from '../../../broker/store/memory.js'
import { connectClient, goOffline } from '../../helpers/flow-clients.js'

async function startOn(store: MemoryStore): Promise<{ broker: Broker; url: string }> {
  const broker = new Broker({ sysInterval: 0 }, { store })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  return { broker, url: `mqtt://127.0.0.1:${port}` }
}

test('a broker restarted on the same store restores sessions, queues and retained messages', async (t) => {
  const store = new MemoryStore()
  const first = await startOn(store)
  const persistent = { clientId: 'keeper', clean: false, protocolVersion: 5 as const, properties: { sessionExpiryInterval: 300 } }
  const subscriber = await connectClient(t, first.url, persistent)
  await subscriber.client.subscribeAsync('plant/#', { qos: 1 })
  await goOffline(subscriber.client)
  const publisher = await connectClient(t, first.url, { clientId: 'pub' })
  for (let i = 1; i <= 3; i++) await publisher.client.publishAsync('plant/temp', `r${i}`, { qos: 1 })
  await publisher.client.publishAsync('plant/status', 'online', { qos: 1, retain: true })
  await first.broker.close()

  const second = await startOn(store)
  t.after(() => second.broker.close())
  const resumed = await connectClient(t, second.url, persistent)
  assert.equal(resumed.connack.sessionPresent, true)
  const received = await resumed.inbox.take(4)
  assert.deepEqual(
    received.map((m) => `${m.topic}=${m.payload.toString()}`),
    ['plant/temp=r1', 'plant/temp=r2', 'plant/temp=r3', 'plant/status=online']
  )

  const late = await connectClient(t, second.url, { clientId: 'late' })
  await late.client.subscribeAsync('plant/status')
  const [retained] = await late.inbox.take(1)
  assert.equal(retained.payload.toString(), 'online')
  assert.equal(retained.packet.retain, true)
})
