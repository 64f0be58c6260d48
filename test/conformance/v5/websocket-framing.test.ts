import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import mqtt, { type Packet } from 'mqtt-packet'
import { WebSocket } from 'ws'
import { Broker } from '../../../broker/broker.js'
import { connectPacket } from '../../helpers/session-clients.js'

/** MQTT 5.0 over WebSocket (chapter 6): the subprotocol the broker picks, and packets that do not line up with frames. */

async function openWebSocket(t: TestContext, offered: string[]): Promise<{ socket: WebSocket; next: () => Promise<Packet> }> {
  const broker = new Broker({})
  t.after(() => broker.close())
  const { port } = await broker.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 })
  const socket = new WebSocket(`ws://127.0.0.1:${port}/mqtt`, offered)
  t.after(() => socket.terminate())
  socket.on('error', () => {})
  await new Promise((resolve) => socket.once('open', resolve))
  const parser = mqtt.parser({ protocolVersion: 5 })
  const packets: Packet[] = []
  const waiting: Array<(packet: Packet) => void> = []
  parser.on('packet', (packet: Packet) => {
    const waiter = waiting.shift()
    if (waiter) waiter(packet)
    else packets.push(packet)
  })
  socket.on('message', (data: Buffer) => parser.parse(data))
  const next = (): Promise<Packet> => {
    const ready = packets.shift()
    if (ready) return Promise.resolve(ready)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no packet within 2 s')), 2000)
      waiting.push((packet) => {
        clearTimeout(timer)
        resolve(packet)
      })
    })
  }
  return { socket, next }
}

test('the broker selects the mqtt WebSocket subprotocol [MQTT-6.0.0-4]', async (t) => {
  const { socket } = await openWebSocket(t, ['mqtt'])
  assert.equal(socket.protocol, 'mqtt')
})

test('a CONNECT split across two binary WebSocket frames is answered, and two packets in one frame are both handled [MQTT-6.0.0-2]', async (t) => {
  const { socket, next } = await openWebSocket(t, ['mqtt'])
  const connect = mqtt.generate(connectPacket(5), { protocolVersion: 5 })
  socket.send(connect.subarray(0, 5))
  socket.send(connect.subarray(5))
  const connack = await next()
  assert.deepEqual([connack.cmd, (connack as { reasonCode?: number }).reasonCode], ['connack', 0])

  const subscribe = mqtt.generate({ cmd: 'subscribe', messageId: 4, subscriptions: [{ topic: 'ws/t', qos: 1 }] }, { protocolVersion: 5 })
  socket.send(Buffer.concat([Buffer.from([0xc0, 0x00]), subscribe]))
  assert.equal((await next()).cmd, 'pingresp')
  const suback = await next()
  assert.deepEqual([suback.cmd, suback.messageId], ['suback', 4])
})
