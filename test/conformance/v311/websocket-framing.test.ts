import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import mqtt, { type Packet } from 'mqtt-packet'
import { WebSocket } from 'ws'
import { Broker } from '../../../broker/broker.js'
import { connectPacket } from '../../helpers/session-clients.js'

/** MQTT 3.1.1 over WebSocket: the subprotocol the broker picks, and packets that do not line up with frames. */

async function wsBroker(t: TestContext): Promise<string> {
  const broker = new Broker({})
  t.after(() => broker.close())
  const { port } = await broker.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 })
  return `ws://127.0.0.1:${port}/mqtt`
}

/** Opens a WebSocket offering `protocols`; every binary message is parsed as MQTT 3.1.1 into `packets`. */
async function open(t: TestContext, url: string, protocols: string[]): Promise<{ socket: WebSocket; packets: Packet[] }> {
  const socket = new WebSocket(url, protocols)
  t.after(() => socket.terminate())
  const packets: Packet[] = []
  const parser = mqtt.parser({ protocolVersion: 4 })
  parser.on('packet', (packet: Packet) => packets.push(packet))
  socket.on('message', (data: Buffer) => parser.parse(data))
  await new Promise((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  return { socket, packets }
}

async function until(packets: Packet[], count: number): Promise<Packet[]> {
  const deadline = Date.now() + 2000
  while (packets.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  return packets
}

test('3.1.1 over WebSocket: the broker selects the subprotocol mqtt, also from a list that offers others first [MQTT-6.0.0-4]', async (t) => {
  const url = await wsBroker(t)
  const { socket } = await open(t, url, ['mqttv3.1', 'mqtt'])
  assert.equal(socket.protocol, 'mqtt')
})

test('3.1.1 over WebSocket: packets split across frames and packets sharing a frame are all read [MQTT-6.0.0-2]', async (t) => {
  const url = await wsBroker(t)
  const { socket, packets } = await open(t, url, ['mqtt'])
  const connect = mqtt.generate(connectPacket(4, { clientId: 'ws-frames' }), { protocolVersion: 4 })
  // CONNECT in three frames, the cut inside its header and inside its payload.
  for (const piece of [connect.subarray(0, 1), connect.subarray(1, 9), connect.subarray(9)]) socket.send(piece)
  assert.deepEqual(
    (await until(packets, 1)).map((p) => p.cmd),
    ['connack']
  )
  // SUBSCRIBE, PUBLISH to it and PINGREQ in one frame.
  const subscribe = mqtt.generate({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'ws/frames', qos: 0 }] })
  const publish = mqtt.generate({
    cmd: 'publish',
    topic: 'ws/frames',
    payload: Buffer.from('one frame'),
    qos: 0,
    dup: false,
    retain: false
  })
  socket.send(Buffer.concat([subscribe, publish, mqtt.generate({ cmd: 'pingreq' })]))
  const got = await until(packets, 4)
  assert.deepEqual(
    got.map((p) => p.cmd),
    ['connack', 'suback', 'publish', 'pingresp']
  )
  assert.equal((got[2] as mqtt.IPublishPacket).payload.toString(), 'one frame')
})
