import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, type RawConnected, rawSubscribe } from '../../helpers/flow-clients.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { expectSilence } from '../../helpers/silence.js'

/** MQTT 3.1.1 PUBLISH handling: flags passed on or not, packet ids, retained messages, topic matching and order. */

function publish(topic: string, payload: string, fields: Partial<IPublishPacket> = {}): IPublishPacket {
  return { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, dup: false, retain: false, ...fields }
}

/** What a raw subscriber received, as [topic, payload, qos, retain, dup]. */
function seen(packets: IPublishPacket[]): Array<[string, string, number, boolean, boolean]> {
  return packets.map((p) => [p.topic, p.payload.toString(), p.qos, p.retain, p.dup])
}

async function nextPublishes(c: RawConnected, count: number): Promise<IPublishPacket[]> {
  const packets: IPublishPacket[] = []
  for (let i = 0; i < count; i++) packets.push(await nextOf(c.raw, 'publish'))
  return packets
}

describe('3.1.1 PUBLISH delivery', { concurrency: true }, () => {
  test('3.1.1: DUP 1 on an incoming PUBLISH is not passed on; the subscriber gets DUP 0 [MQTT-3.3.1-3]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'dup/t', qos: 1 }]), [1])
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('dup/t', 'resent', { qos: 1, dup: true, messageId: 3 }))
    assert.equal((await nextOf(pub.raw, 'puback')).messageId, 3)
    assert.deepEqual(seen(await nextPublishes(sub, 1)), [['dup/t', 'resent', 1, false, false]])
  })

  test('3.1.1: after its PUBACK a QoS 1 packet id is free: the same id, DUP or not, is a new message [MQTT-4.3.2-2]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'again/t', qos: 1 }]), [1])
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('again/t', 'first', { qos: 1, messageId: 5 }))
    assert.equal((await nextOf(pub.raw, 'puback')).messageId, 5)
    pub.send(publish('again/t', 'second', { qos: 1, messageId: 5, dup: true }))
    assert.equal((await nextOf(pub.raw, 'puback')).messageId, 5)
    const got = await nextPublishes(sub, 2)
    assert.deepEqual(
      got.map((p) => p.payload.toString()),
      ['first', 'second']
    )
  })

  test('3.1.1: a retained QoS 1 message keeps its QoS: a later QoS 2 subscription gets it at QoS 1 with RETAIN 1 [MQTT-3.3.1-5, MQTT-3.3.1-6, MQTT-3.3.1-8]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('keep/qos', 'at one', { qos: 1, retain: true, messageId: 1 }))
    await nextOf(pub.raw, 'puback')
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'keep/+', qos: 2 }]), [2])
    assert.deepEqual(seen(await nextPublishes(sub, 1)), [['keep/qos', 'at one', 1, true, false]])
  })

  test('3.1.1: a retained QoS 0 message replaces the retained QoS 1 one [MQTT-3.3.1-7]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('replace/t', 'old at one', { qos: 1, retain: true, messageId: 1 }))
    await nextOf(pub.raw, 'puback')
    pub.send(publish('replace/t', 'new at zero', { retain: true }))
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'replace/t', qos: 1 }]), [1])
    assert.deepEqual(seen(await nextPublishes(sub, 1)), [['replace/t', 'new at zero', 0, true, false]])
    await expectSilence(sub.raw)
  })

  test('3.1.1: RETAIN 0 neither stores a message nor touches the retained one [MQTT-3.3.1-12]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('plain/kept', 'retained', { qos: 1, retain: true, messageId: 1 }))
    await nextOf(pub.raw, 'puback')
    pub.send(publish('plain/kept', 'not retained', { qos: 1, messageId: 2 }))
    pub.send(publish('plain/new', 'not retained either', { qos: 1, messageId: 3 }))
    await nextOf(pub.raw, 'puback')
    await nextOf(pub.raw, 'puback')
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'plain/#', qos: 1 }]), [1])
    assert.deepEqual(seen(await nextPublishes(sub, 1)), [['plain/kept', 'retained', 1, true, false]])
    await expectSilence(sub.raw)
  })

  test('3.1.1: an empty retained PUBLISH reaches current subscribers and removes the retained message [MQTT-3.3.1-10, MQTT-3.3.1-11]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('clear/t', 'to be cleared', { qos: 1, retain: true, messageId: 1 }))
    await nextOf(pub.raw, 'puback')
    const current = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(current, [{ topic: 'clear/t', qos: 1 }]), [1])
    await nextPublishes(current, 1)
    current.send({ cmd: 'puback', messageId: 1 })
    pub.send(publish('clear/t', '', { qos: 1, retain: true, messageId: 2 }))
    await nextOf(pub.raw, 'puback')
    assert.deepEqual(seen(await nextPublishes(current, 1)), [['clear/t', '', 1, false, false]])
    const later = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(later, [{ topic: 'clear/t', qos: 1 }]), [1])
    await expectSilence(later.raw)
  })

  test('3.1.1: a subscriber receives the Topic Name that was published, not the filter that matched it [MQTT-3.3.2-3]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(sub, [{ topic: 'home/+/temp', qos: 0 }]), [0])
    const pub = await connectRaw(t, running.port, 4)
    pub.send(publish('home/kitchen/temp', '21.5'))
    assert.deepEqual(seen(await nextPublishes(sub, 1)), [['home/kitchen/temp', '21.5', 0, false, false]])
  })

  test('3.1.1: matching is byte for byte: no case folding, no Unicode normalization, a BOM kept and not stripped [MQTT-4.7.3-4, MQTT-1.5.3-3]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const precomposed = 'caf\u00e9/t'
    const decomposed = 'cafe\u0301/t'
    const withBom = '\ufeffbom/t'
    const sub = await connectRaw(t, running.port, 4)
    assert.deepEqual(
      await rawSubscribe(sub, [
        { topic: precomposed, qos: 0 },
        { topic: 'bom/t', qos: 0 },
        { topic: 'Case/t', qos: 0 }
      ]),
      [0, 0, 0]
    )
    const pub = await connectRaw(t, running.port, 4)
    for (const topic of [decomposed, withBom, 'case/t', precomposed]) pub.send(publish(topic, topic))
    const [only] = await nextPublishes(sub, 1)
    assert.deepEqual(Buffer.from(only!.topic), Buffer.from(precomposed))
    await expectSilence(sub.raw)
    const bomSub = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(bomSub, [{ topic: withBom, qos: 0 }]), [0])
    pub.send(publish(withBom, 'kept'))
    const [bom] = await nextPublishes(bomSub, 1)
    assert.deepEqual(Buffer.from(bom!.topic), Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('bom/t')]))
  })

  test('3.1.1: messages from one client on one topic reach every subscriber in the order they were sent [MQTT-4.6.0-5, MQTT-4.6.0-6]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const subscribers = [
      await connectClient(t, running.url, { protocolVersion: 4 }),
      await connectClient(t, running.url, { protocolVersion: 4 })
    ]
    await subscribers[0]!.client.subscribeAsync('order/t', { qos: 1 })
    await subscribers[1]!.client.subscribeAsync('order/#', { qos: 2 })
    const pub = await connectRaw(t, running.port, 4)
    const sent = Array.from({ length: 40 }, (_, i) => `m${i}`)
    sent.forEach((payload, i) => {
      pub.send(publish('order/t', payload, { qos: 1, messageId: i + 1 }))
    })
    for (const { inbox } of subscribers) {
      const got = await inbox.take(sent.length)
      assert.deepEqual(
        got.map((m) => m.payload.toString()),
        sent
      )
    }
  })

  test('3.1.1: on resume the unacknowledged QoS 1 and QoS 2 PUBLISHes are resent in their first order, DUP 1, same ids [MQTT-4.6.0-1, MQTT-2.3.1-4]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const clientId = uniqueId('resend')
    const first = await connectRaw(t, running.port, 4, { clientId, clean: false })
    assert.deepEqual(await rawSubscribe(first, [{ topic: 'resend/#', qos: 2 }]), [2])
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })
    for (const [i, qos] of [1, 2, 1, 2].entries()) await pub.client.publishAsync(`resend/${i}`, `m${i}`, { qos: qos as 1 | 2 })
    const original = await nextPublishes(first, 4)
    first.raw.destroy()
    await first.raw.closed

    const again = await connectRaw(t, running.port, 4, { clientId, clean: false })
    assert.equal(again.connack.sessionPresent, true)
    const resent = await nextPublishes(again, 4)
    assert.deepEqual(
      resent.map((p) => [p.topic, p.payload.toString(), p.qos, p.messageId, p.dup]),
      original.map((p) => [p.topic, p.payload.toString(), p.qos, p.messageId, true])
    )
  })
})
