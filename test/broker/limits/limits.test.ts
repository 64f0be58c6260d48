import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import type { IConnackPacket, IDisconnectPacket, ISubackPacket } from 'mqtt-packet'
import { ConnectionRate } from '../../../broker/limits/connection-rate.js'
import { PublishRate } from '../../../broker/limits/publish-rate.js'
import type { BrokerOptions } from '../../../broker/options.js'
import { startBroker } from '../../helpers/broker.js'
import { RawClient } from '../../helpers/raw-client.js'

/** Each limit refuses or closes only the client concerned, with the reason code for it. */

async function brokerWith(t: TestContext, options: Partial<BrokerOptions>): Promise<number> {
  const running = await startBroker({ sysInterval: 0, ...options })
  t.after(() => running.close())
  return running.port
}

async function connect(
  t: TestContext,
  port: number,
  version: 4 | 5,
  clientId: string
): Promise<{ client: RawClient; connack: IConnackPacket }> {
  const client = await RawClient.open(port, version)
  t.after(() => client.destroy())
  client.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: version, clientId, clean: true, keepalive: 0 }, version)
  const connack = (await client.next()) as IConnackPacket
  assert.equal(connack.cmd, 'connack')
  return { client, connack }
}

const code = (connack: IConnackPacket): number | undefined => connack.reasonCode ?? connack.returnCode

test('maxConnections: the client past the limit is refused (5.0: 0x97, 3.1.1: 3); the others stay', async (t) => {
  const port = await brokerWith(t, { maxConnections: 2 })
  const first = await connect(t, port, 5, 'one')
  await connect(t, port, 4, 'two')
  assert.equal(code((await connect(t, port, 5, 'three')).connack), 0x97)
  assert.equal(code((await connect(t, port, 4, 'four')).connack), 3)
  first.client.send({ cmd: 'pingreq' }, 5)
  assert.equal((await first.client.next()).cmd, 'pingresp')
})

test('maxSubscriptionsPerClient: filters past the limit get 0x97 (3.1.1: 0x80); replacing one still works', async (t) => {
  const port = await brokerWith(t, { maxSubscriptionsPerClient: 2 })
  for (const version of [5, 4] as const) {
    const { client } = await connect(t, port, version, `subs-${version}`)
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: ['a', 'b', 'c'].map((topic) => ({ topic, qos: 1 as const })) }, version)
    assert.deepEqual(((await client.next()) as ISubackPacket).granted, [1, 1, version === 5 ? 0x97 : 0x80])
    client.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'a', qos: 2 }] }, version)
    assert.deepEqual(((await client.next()) as ISubackPacket).granted, [2])
  }
})

test('maxTopicLength: a longer topic closes the publisher (5.0: 0x90); a longer filter gets 0x8F', async (t) => {
  const port = await brokerWith(t, { maxTopicLength: 10 })
  const subscriber = await connect(t, port, 5, 'filters')
  subscriber.client.send(
    {
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: 'short/#', qos: 0 },
        { topic: 'much/too/long/#', qos: 0 }
      ]
    },
    5
  )
  assert.deepEqual(((await subscriber.client.next()) as ISubackPacket).granted, [0, 0x8f])
  const publisher = await connect(t, port, 5, 'topics')
  publisher.client.send({ cmd: 'publish', topic: 'short/ok', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }, 5)
  publisher.client.send({ cmd: 'publish', topic: 'much/too/long', payload: Buffer.from('x'), qos: 0, dup: false, retain: false }, 5)
  const disconnect = (await publisher.client.next()) as IDisconnectPacket
  assert.deepEqual([disconnect.cmd, disconnect.reasonCode], ['disconnect', 0x90])
  assert.equal(await publisher.client.waitClosed(), true)
  const delivered = await subscriber.client.next()
  assert.equal(delivered.cmd === 'publish' && delivered.topic, 'short/ok')
})

test('maxPublishRate: a client flooding past its rate gets DISCONNECT 0x96; one within it is untouched', async (t) => {
  const port = await brokerWith(t, { maxPublishRate: 5 })
  const calm = await connect(t, port, 5, 'calm')
  const flood = await connect(t, port, 5, 'flood')
  for (let i = 0; i < 20; i++)
    flood.client.send({ cmd: 'publish', topic: 'f', payload: Buffer.from(String(i)), qos: 0, dup: false, retain: false }, 5)
  const disconnect = (await flood.client.next()) as IDisconnectPacket
  assert.deepEqual([disconnect.cmd, disconnect.reasonCode], ['disconnect', 0x96])
  for (let i = 0; i < 3; i++)
    calm.client.send({ cmd: 'publish', topic: 'c', payload: Buffer.from('x'), qos: 1, dup: false, retain: false, messageId: i + 1 }, 5)
  for (let i = 0; i < 3; i++) assert.equal((await calm.client.next()).cmd, 'puback')
})

test('maxConnectionRate: loopback is exempt by default; when included, the connection past the rate gets 0x9F', async (t) => {
  const exempt = await brokerWith(t, { maxConnectionRate: 2 })
  for (let i = 0; i < 5; i++) assert.equal(code((await connect(t, exempt, 5, `e${i}`)).connack), 0)
  const limited = await brokerWith(t, { maxConnectionRate: 2, rateLimitLoopback: true })
  assert.equal(code((await connect(t, limited, 5, 'l1')).connack), 0)
  assert.equal(code((await connect(t, limited, 4, 'l2')).connack), 0)
  assert.equal(code((await connect(t, limited, 5, 'l3')).connack), 0x9f)
  assert.equal(code((await connect(t, limited, 4, 'l4')).connack), 3)
})

test('ConnectionRate counts per address per second and forgets quiet addresses when full', () => {
  let now = 0
  const rate = new ConnectionRate(2, true, 3, () => now)
  assert.deepEqual([rate.admit('10.0.0.1'), rate.admit('10.0.0.1'), rate.admit('10.0.0.1')], [true, true, false])
  assert.equal(rate.admit('10.0.0.2'), true, 'another address has its own count')
  now = 1000
  assert.equal(rate.admit('10.0.0.1'), true, 'a new second, a new count')
  rate.admit('10.0.0.3')
  rate.admit('10.0.0.4')
  assert.ok(rate.size <= 3, `bounded table, got ${rate.size}`)
  assert.equal(new ConnectionRate(1, false, 10, () => now).admit('127.0.0.1'), true)
})

test('PublishRate allows a second of burst, then refills at its rate', () => {
  let now = 0
  const rate = new PublishRate(4, () => now)
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => rate.take()),
    [true, true, true, true, false]
  )
  now = 250
  assert.deepEqual([rate.take(), rate.take()], [true, false])
  now = 10_000
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => rate.take()),
    [true, true, true, true, false],
    'never more than one second of burst'
  )
})
