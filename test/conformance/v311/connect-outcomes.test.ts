import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startBroker } from '../../helpers/broker.js'
import { lengthPrefixed, packet } from '../../helpers/packet-bytes.js'
import { runProgram } from '../../helpers/run-program.js'
import { asConnack, asPublish, mqttClient, rawSession, uniqueId } from '../../helpers/session-clients.js'
import { openSocket, watchedBroker } from './watched-broker.js'

/** What an accepted or a refused MQTT 3.1.1 CONNECT leads to: CONNACK first, sessions, wills, retained messages. */

const ALLOWED_CHARACTERS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** A CONNECT at protocol level 6, which no version of MQTT defines: refused with return code 1. */
function unknownLevelConnect(clientId: string): Buffer {
  return packet(0x10, lengthPrefixed('MQTT'), [6, 0x02, 0, 0], lengthPrefixed(clientId))
}

describe('3.1.1 CONNECT outcomes', { concurrency: true }, () => {
  test('3.1.1: client ids of 1 and of 23 allowed characters get return code 0 [MQTT-3.1.3-5, MQTT-3.1.4-4]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    for (const clientId of ['Z', ALLOWED_CHARACTERS.slice(0, 23), ALLOWED_CHARACTERS.slice(-23)]) {
      const { connack } = await rawSession(t, broker.port, 4, { clientId })
      assert.deepEqual([connack.returnCode, connack.sessionPresent], [0, false])
    }
  })

  test('3.1.1: data after a refused CONNECT is not processed: return code 1, the close, the PUBLISH behind it never routed [MQTT-3.1.4-5, MQTT-3.2.2-5]', async (t) => {
    const { port, inbox } = await watchedBroker(t)
    const socket = await openSocket(t, port)
    const publish = packet(0x30, lengthPrefixed('sneaked/in'), Buffer.from('after a refusal'))
    socket.sendBytes(Buffer.concat([unknownLevelConnect(uniqueId()), publish]))
    const connack = asConnack(await socket.next())
    assert.deepEqual([connack.returnCode, connack.sessionPresent], [1, false])
    assert.equal(await socket.waitClosed(), true)
    assert.deepEqual(socket.pending(), [])
    await inbox.none(200)
  })

  test('3.1.1: a refusing CONNACK says Session Present 0 although a session is stored, and leaves that session alone [MQTT-3.2.2-4]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const clientId = uniqueId('kept')
    const first = await rawSession(t, broker.port, 4, { clientId, clean: false })
    first.client.send({ cmd: 'disconnect' })
    await first.client.waitClosed()

    const refused = await openSocket(t, broker.port)
    refused.sendBytes(unknownLevelConnect(clientId))
    const connack = asConnack(await refused.next())
    assert.deepEqual([connack.returnCode, connack.sessionPresent], [1, false])
    assert.equal(await refused.waitClosed(), true)

    const resumed = await rawSession(t, broker.port, 4, { clientId, clean: false })
    assert.equal(resumed.connack.sessionPresent, true)
  })

  test('3.1.1: CONNACK comes first even when queued messages wait for the resumed session [MQTT-3.2.0-1]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const clientId = uniqueId('queued')
    const first = await rawSession(t, broker.port, 4, { clientId, clean: false })
    first.client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'queued/t', qos: 1 }] })
    assert.equal((await first.client.next()).cmd, 'suback')
    first.client.send({ cmd: 'disconnect' })
    await first.client.waitClosed()
    const publisher = await mqttClient(t, broker.url, { protocolVersion: 4 })
    for (const payload of ['one', 'two', 'three']) await publisher.publishAsync('queued/t', payload, { qos: 1 })

    const { client, connack } = await rawSession(t, broker.port, 4, { clientId, clean: false })
    assert.equal(connack.sessionPresent, true)
    const queued = [asPublish(await client.next()), asPublish(await client.next()), asPublish(await client.next())]
    assert.deepEqual(
      queued.map((p) => [p.topic, p.payload.toString(), p.qos]),
      [
        ['queued/t', 'one', 1],
        ['queued/t', 'two', 1],
        ['queued/t', 'three', 1]
      ]
    )
  })

  test('3.1.1: with Will Flag 0 nothing is published when the connection drops [MQTT-3.1.2-12]', async (t) => {
    const { port, inbox } = await watchedBroker(t)
    const { client } = await rawSession(t, port, 4)
    client.destroy()
    await inbox.none(400)
  })

  test('3.1.1: a retained message outlives the clean session that published it [MQTT-3.1.2-7]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const { client } = await rawSession(t, broker.port, 4, { clean: true })
    client.send({
      cmd: 'publish',
      topic: 'kept/retained',
      payload: Buffer.from('still here'),
      qos: 1,
      messageId: 1,
      retain: true,
      dup: false
    })
    assert.equal((await client.next()).cmd, 'puback')
    client.send({ cmd: 'disconnect' })
    await client.waitClosed()

    const late = await rawSession(t, broker.port, 4)
    late.client.send({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'kept/#', qos: 1 }] })
    assert.equal((await late.client.next()).cmd, 'suback')
    const retained = asPublish(await late.client.next())
    assert.deepEqual([retained.topic, retained.payload.toString(), retained.retain], ['kept/retained', 'still here', true])
  })

  test('3.1.1: mosquitto_sub -c resumes its session and gets what was published while it was away [MQTT-3.1.2-4, MQTT-3.1.2-5]', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const port = String(broker.port)
    const clientId = uniqueId('mosq')
    const subscribe = ['-h', '127.0.0.1', '-p', port, '-c', '-i', clientId, '-q', '1', '-t', 'away/t']
    const subscribed = await runProgram(t, 'mosquitto_sub', [...subscribe, '-E'])
    assert.equal(subscribed.code, 0, subscribed.stderr)
    const published = await runProgram(t, 'mosquitto_pub', ['-h', '127.0.0.1', '-p', port, '-q', '1', '-t', 'away/t', '-m', 'while away'])
    assert.equal(published.code, 0, published.stderr)
    const resumed = await runProgram(t, 'mosquitto_sub', [...subscribe, '-C', '1', '-W', '5', '-v'])
    assert.equal(resumed.code, 0, resumed.stderr)
    assert.equal(resumed.stdout, 'away/t while away\n')
  })
})
