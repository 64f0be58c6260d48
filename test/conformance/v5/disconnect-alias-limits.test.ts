import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { persistentSession } from '../../helpers/persistent-session.js'
import { expectDisconnect, uniqueId } from '../../helpers/session-clients.js'

/** MQTT 5.0 Topic Alias limits both ways, DISCONNECT and AUTH framing, and what the broker's DISCONNECT and CONNACK leave out. */

function aliased(topic: string, topicAlias: number, payload: string): IPublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, dup: false, retain: false, properties: { topicAlias } }
}

test('a Topic Alias does not carry over to the next connection of the same session: using it is a Protocol Error [MQTT-3.3.2-7]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const session = persistentSession(uniqueId('alias'))
  const first = await connectRaw(t, broker.port, 5, session)
  first.send(aliased('alias/t', 1, 'sets the alias'))
  first.send({ cmd: 'disconnect' })
  await first.raw.waitClosed()

  const second = await connectRaw(t, broker.port, 5, session)
  assert.equal(second.connack.sessionPresent, true)
  second.send(aliased('', 1, 'uses the old alias'))
  await expectDisconnect(second.raw, 0x82)
})

test('every Topic Alias from 1 to the announced Topic Alias Maximum is accepted [MQTT-3.3.2-12]', async (t) => {
  const broker = await startBroker({ topicAliasMaximum: 3 })
  t.after(() => broker.close())
  const sub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await sub.client.subscribeAsync('aliases/#', { qos: 0 })
  const pub = await connectRaw(t, broker.port, 5)
  assert.equal(pub.connack.properties?.topicAliasMaximum, 3)
  for (const alias of [1, 2, 3]) pub.send(aliased(`aliases/${alias}`, alias, 'set'))
  for (const alias of [1, 2, 3]) pub.send(aliased('', alias, 'used'))
  const got = await sub.inbox.take(6)
  assert.deepEqual(
    got.map((m) => `${m.topic}=${m.payload.toString()}`),
    ['aliases/1=set', 'aliases/2=set', 'aliases/3=set', 'aliases/1=used', 'aliases/2=used', 'aliases/3=used']
  )
})

test("outbound Topic Aliases stay within the client's Topic Alias Maximum and are never 0 [MQTT-3.1.2-26, MQTT-3.3.2-11, MQTT-3.3.2-8]", async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const sub = await connectRaw(t, broker.port, 5, { properties: { topicAliasMaximum: 2 } })
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'out/#', qos: 0 }]), [0])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  const topics = ['out/1', 'out/2', 'out/3', 'out/4']
  for (const round of [1, 2]) for (const topic of topics) await pub.client.publishAsync(topic, `${round}`, { qos: 0 })
  const known = new Map<number, string>()
  for (let n = 0; n < 2 * topics.length; n++) {
    const got = await nextOf(sub.raw, 'publish')
    const alias = got.properties?.topicAlias
    if (alias === undefined) {
      assert.ok(got.topic !== '', 'a PUBLISH without an alias names its topic')
      continue
    }
    assert.ok(alias >= 1 && alias <= 2, `alias ${alias} within 1..2`)
    if (got.topic !== '') known.set(alias, got.topic)
    assert.ok(known.has(alias), `alias ${alias} was set before it was used`)
  }
})

test('a DISCONNECT with reserved flag bits set is malformed: DISCONNECT 0x81, then the close [MQTT-3.14.1-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const c = await connectRaw(t, broker.port, 5)
  c.raw.sendBytes([0xe1, 0x00])
  await expectDisconnect(c.raw, 0x81)
})

test('an AUTH with reserved flag bits set closes the connection after a DISCONNECT [MQTT-3.15.1-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const c = await connectRaw(t, broker.port, 5)
  c.raw.sendBytes([0xf1, 0x00])
  await expectDisconnect(c.raw, [0x81, 0x82])
})

test('a DISCONNECT from the broker carries no Session Expiry Interval, and nothing follows it [MQTT-3.14.2-2, MQTT-3.14.4-1]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const session = persistentSession(uniqueId('taken'))
  const first = await connectRaw(t, broker.port, 5, session)
  await connectRaw(t, broker.port, 5, session)
  const disconnect = await expectDisconnect(first.raw, 0x8e)
  assert.equal(disconnect.properties?.sessionExpiryInterval, undefined)
  assert.deepEqual(first.raw.pending(), [])
})
