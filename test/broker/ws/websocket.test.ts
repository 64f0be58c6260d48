import assert from 'node:assert/strict'
import { after, before, type TestContext, test } from 'node:test'
import { generate } from 'mqtt-packet'
import { WebSocket } from 'ws'
import { Broker } from '../../../broker/broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { assertBrokerAlive, mqttClient, uniqueId } from '../../helpers/session-clients.js'
import { makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'

/** MQTT over WebSocket (ws, wss) on /mqtt, next to a plain TCP listener of the same broker. */

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

async function startBroker(t: TestContext): Promise<{ tcp: string; ws: string; wss: string; wsPort: number }> {
  const broker = new Broker({})
  t.after(() => broker.close())
  const tcp = await broker.listen({ host: '127.0.0.1', port: 0 })
  const ws = await broker.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 })
  const wss = await broker.listen({ protocol: 'wss', host: '127.0.0.1', port: 0, tls: pki.server })
  return {
    tcp: `mqtt://127.0.0.1:${tcp.port}`,
    ws: `ws://127.0.0.1:${ws.port}/mqtt`,
    wss: `wss://127.0.0.1:${wss.port}/mqtt`,
    wsPort: ws.port
  }
}

/** A bare WebSocket on the mqtt subprotocol, for frames mqtt.js would never send; what it receives is collected. */
async function openWebSocket(t: TestContext, url: string): Promise<{ socket: WebSocket; replies: Buffer[] }> {
  const socket = new WebSocket(url, 'mqtt')
  t.after(() => socket.terminate())
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('open', resolve))
  assert.equal(socket.protocol, 'mqtt')
  const replies: Buffer[] = []
  socket.on('message', (data: Buffer) => replies.push(data))
  return { socket, replies }
}

test('QoS 1 round trip over ws and over wss', async (t) => {
  const urls = await startBroker(t)
  for (const [url, options] of [
    [urls.ws, {}],
    [urls.wss, { ca: pem(pki.ca), servername: 'localhost' }]
  ] as const) {
    const client = await mqttClient(t, url, options)
    const inbox = new Inbox(client)
    const topic = `ws/${uniqueId()}`
    await client.subscribeAsync(topic, { qos: 1 })
    await client.publishAsync(topic, 'over websocket', { qos: 1 })
    const message = await inbox.takeOne()
    assert.equal(message.payload.toString(), 'over websocket')
    assert.equal(message.packet.qos, 1)
  }
})

test('a ws client and a TCP client exchange messages', async (t) => {
  const urls = await startBroker(t)
  const web = await mqttClient(t, urls.ws, { protocolVersion: 4 })
  const tcp = await mqttClient(t, urls.tcp)
  const webInbox = new Inbox(web)
  const tcpInbox = new Inbox(tcp)
  const topic = `mix/${uniqueId()}`
  await web.subscribeAsync(`${topic}/to-web`, { qos: 1 })
  await tcp.subscribeAsync(`${topic}/to-tcp`, { qos: 1 })
  await tcp.publishAsync(`${topic}/to-web`, 'from tcp', { qos: 1 })
  await web.publishAsync(`${topic}/to-tcp`, Buffer.alloc(100_000, 7), { qos: 1 })
  assert.equal((await webInbox.takeOne()).payload.toString(), 'from tcp')
  assert.deepEqual((await tcpInbox.takeOne()).payload, Buffer.alloc(100_000, 7))
})

test('another path is refused with an HTTP error, no MQTT', async (t) => {
  const urls = await startBroker(t)
  const status = await new Promise<number>((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${urls.wsPort}/other`, 'mqtt')
    socket.on('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      socket.terminate()
    })
    socket.on('open', () => reject(new Error('upgraded on /other')))
    socket.on('error', () => {})
  })
  assert.ok(status === 400 || status === 404, `status ${status}`)
  await assertBrokerAlive(t, urls.ws)
})

test('a plain HTTP request gets an HTTP error and the broker keeps working', async (t) => {
  const urls = await startBroker(t)
  const response = await fetch(`http://127.0.0.1:${urls.wsPort}/mqtt`)
  assert.equal(response.status, 426)
  await response.text()
  await assertBrokerAlive(t, urls.ws)
})

test('malformed MQTT over ws closes only that connection', async (t) => {
  const urls = await startBroker(t)
  const bystander = await mqttClient(t, urls.ws, { protocolVersion: 4 })
  const { socket, replies } = await openWebSocket(t, urls.ws)
  socket.send(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: uniqueId('bad'), clean: true, keepalive: 0 }))
  await new Promise((resolve) => setTimeout(resolve, 100))
  assert.equal(replies[0]?.[0], 0x20, 'CONNACK first')
  // Packet type 0 is reserved: a malformed packet.
  socket.send(Buffer.from([0x00, 0x00]))
  const code = await new Promise<number>((resolve) => socket.once('close', resolve))
  assert.ok(code > 0)
  assert.equal(bystander.connected, true)
  await assertBrokerAlive(t, urls.ws)
})

test('a text frame closes the connection (1003) before anything in it is read; other clients carry on', async (t) => {
  const urls = await startBroker(t)
  const bystander = await mqttClient(t, urls.ws, { protocolVersion: 4 })
  const { socket, replies } = await openWebSocket(t, urls.ws)
  // A well-formed CONNECT, but in a text frame [MQTT-6.0.0-1].
  socket.send(generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: uniqueId('text'), clean: true, keepalive: 0 }), {
    binary: false
  })
  const code = await new Promise<number>((resolve) => socket.once('close', resolve))
  assert.equal(code, 1003)
  assert.deepEqual(replies, [], 'no CONNACK: the CONNECT in the text frame was never read')
  assert.equal(bystander.connected, true)
  await assertBrokerAlive(t, urls.ws)
})
