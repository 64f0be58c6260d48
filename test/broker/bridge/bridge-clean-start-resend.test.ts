import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { test } from 'node:test'
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet'
import { bridgeSettings, startBridgedBroker, until } from '../../helpers/bridged-brokers.js'
import { mqttClient } from '../../helpers/session-clients.js'

// With clean_start the bridge's client gives up what is in flight when its connection ends (mqtt.js calls each
// callback with "Connection closed"): that is no refusal by the remote, and the message goes again on the next link.

test('clean start: a QoS 1 message in flight when the link times out is sent again, not counted as refused', async (t) => {
  const publishes: Array<{ connection: number; packet: IPublishPacket }> = []
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    sockets.add(socket)
    const connection = ++connections
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    const send = (packet: Packet): void => {
      socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }))
    }
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'connect') send({ cmd: 'connack', sessionPresent: false, reasonCode: 0 })
      // The first connection goes silent: no PINGRESP, no PUBACK, until the bridge's keepalive gives up on it.
      if (connection === 1) return
      if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' })
      if (packet.cmd === 'publish') send({ cmd: 'puback', messageId: packet.messageId!, reasonCode: 0 })
    })
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'publish') publishes.push({ connection, packet })
    })
    socket.on('data', (chunk) => parser.parse(chunk))
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const socket of sockets) socket.destroy()
    server.close()
  })
  const { port } = server.address() as { port: number }
  const settings = bridgeSettings('cloud', `mqtt://127.0.0.1:${port}`, [{ pattern: 'readings/#', direction: 'out', qos: 1 }], {
    cleanStart: true,
    keepalive: 1
  })
  const site = await startBridgedBroker(t, [settings], 'site')
  const state = site.broker.bridges!.states().get('cloud')!
  await until('the bridge connected', () => state.connected)
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', '21.5', { qos: 1 })
  await until('acknowledged on the second connection', () => state.forwardedOut === 1, 10_000)
  assert.deepEqual(
    publishes.map(({ connection, packet }) => [connection, packet.payload.toString()]),
    [
      [1, '21.5'],
      [2, '21.5']
    ]
  )
  assert.deepEqual(state.droppedBy, { queue_full: 0, refused: 0, loop: 0 })
})
