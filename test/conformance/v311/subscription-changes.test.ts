import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { runProgram } from '../../helpers/run-program.js'
import { expectSilence } from '../../helpers/silence.js'

/** MQTT 3.1.1 SUBSCRIBE and UNSUBSCRIBE changing what a session receives. */

describe('3.1.1 subscription changes', { concurrency: true }, () => {
  test('3.1.1: subscribing again to the same filter replaces the subscription: one copy at the new QoS, retained sent again [MQTT-3.8.4-3]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })
    await pub.client.publishAsync('again/t', 'retained', { qos: 1, retain: true })
    const c = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(c, [{ topic: 'again/#', qos: 0 }], 1), [0])
    const first = await nextOf(c.raw, 'publish')
    assert.deepEqual([first.payload.toString(), first.qos, first.retain], ['retained', 0, true])

    assert.deepEqual(await rawSubscribe(c, [{ topic: 'again/#', qos: 2 }], 2), [2])
    const resent = await nextOf(c.raw, 'publish')
    assert.deepEqual([resent.payload.toString(), resent.qos, resent.retain], ['retained', 1, true])
    c.send({ cmd: 'puback', messageId: resent.messageId })

    await pub.client.publishAsync('again/t', 'live', { qos: 2 })
    const live = await nextOf(c.raw, 'publish')
    assert.deepEqual([live.payload.toString(), live.qos, live.retain], ['live', 2, false])
    c.send({ cmd: 'pubrec', messageId: live.messageId })
    assert.equal((await nextOf(c.raw, 'pubrel')).messageId, live.messageId)
    c.send({ cmd: 'pubcomp', messageId: live.messageId })
    await expectSilence(c.raw)
  })

  test('3.1.1: UNSUBSCRIBE compares filters byte for byte; one that matches nothing still gets its UNSUBACK [MQTT-3.10.4-1, MQTT-3.10.4-5]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const c = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(c, [{ topic: 'exact/+', qos: 0 }]), [0])
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })

    c.send({ cmd: 'unsubscribe', messageId: 21, unsubscriptions: ['exact/x'] })
    assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 21)
    c.send({ cmd: 'unsubscribe', messageId: 22, unsubscriptions: ['never/subscribed'] })
    assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 22)
    await pub.client.publishAsync('exact/x', 'still subscribed', { qos: 1 })
    assert.equal((await nextOf(c.raw, 'publish')).payload.toString(), 'still subscribed')

    c.send({ cmd: 'unsubscribe', messageId: 23, unsubscriptions: ['exact/+'] })
    assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 23)
    await pub.client.publishAsync('exact/x', 'gone', { qos: 1 })
    await expectSilence(c.raw)
  })

  test('3.1.1: one UNSUBSCRIBE with several filters removes each and gets a single UNSUBACK [MQTT-3.10.4-6]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const c = await connectRaw(t, running.port, 4)
    assert.deepEqual(
      await rawSubscribe(c, [
        { topic: 'multi/a', qos: 0 },
        { topic: 'multi/b', qos: 1 },
        { topic: 'multi/c', qos: 2 }
      ]),
      [0, 1, 2]
    )
    c.send({ cmd: 'unsubscribe', messageId: 31, unsubscriptions: ['multi/a', 'multi/c'] })
    assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 31)
    await expectSilence(c.raw)
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })
    for (const topic of ['multi/a', 'multi/b', 'multi/c']) await pub.client.publishAsync(topic, topic, { qos: 1 })
    const only = await nextOf(c.raw, 'publish')
    assert.deepEqual([only.topic, only.qos], ['multi/b', 1])
    c.send({ cmd: 'puback', messageId: only.messageId })
    await expectSilence(c.raw)
  })

  test('3.1.1: a QoS 2 delivery under way when its subscription goes is still completed [MQTT-3.10.4-3]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const c = await connectRaw(t, running.port, 4)
    assert.deepEqual(await rawSubscribe(c, [{ topic: 'finish/t', qos: 2 }]), [2])
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })
    await pub.client.publishAsync('finish/t', 'under way', { qos: 2 })
    const delivery = await nextOf(c.raw, 'publish')

    c.send({ cmd: 'unsubscribe', messageId: 41, unsubscriptions: ['finish/t'] })
    assert.equal((await nextOf(c.raw, 'unsuback')).messageId, 41)
    c.send({ cmd: 'pubrec', messageId: delivery.messageId })
    assert.equal((await nextOf(c.raw, 'pubrel')).messageId, delivery.messageId)
    c.send({ cmd: 'pubcomp', messageId: delivery.messageId })
    await expectSilence(c.raw)
  })

  test('3.1.1: mosquitto_sub with several -t gets every topic through one SUBSCRIBE [MQTT-3.8.4-4, MQTT-3.8.4-5]', async (t) => {
    const running = await startBroker()
    t.after(() => running.close())
    const pub = await connectClient(t, running.url, { protocolVersion: 4 })
    await pub.client.publishAsync('many/one', '1', { qos: 1, retain: true })
    await pub.client.publishAsync('other/two', '2', { qos: 1, retain: true })
    const args = ['-h', '127.0.0.1', '-p', String(running.port), '-t', 'many/#', '-t', 'other/+', '-q', '1', '-C', '2', '-W', '5', '-v']
    const { code, stdout, stderr } = await runProgram(t, 'mosquitto_sub', args)
    assert.equal(code, 0, stderr)
    assert.deepEqual(stdout.trim().split('\n').sort(), ['many/one 1', 'other/two 2'])
  })
})
