import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'
import { test } from 'node:test'
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet'
import { bridgeSettings, startBridgedBroker, until } from '../../helpers/bridged-brokers.js'
import { mqttClient } from '../../helpers/session-clients.js'

// A QoS 2 message in flight when the link drops is sent again with DUP and its first packet id, so a remote that
// kept our session recognises it [MQTT-4.3.3-10] rather than delivering it twice.

/**
 * A remote that accepts every CONNECT and records every PUBLISH with its connection's number; the first connection
 * acknowledges nothing and is cut after its first PUBLISH, later ones run the QoS 2 exchange.
 */
async function forgetfulRemote(): Promise<{
  url: string
  publishes: Array<{ connection: number; packet: IPublishPacket }>
  close(): void
}> {
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
      if (packet.cmd === 'connect') send({ cmd: 'connack', sessionPresent: connection > 1, reasonCode: 0 })
      if (packet.cmd === 'pingreq') send({ cmd: 'pingresp' })
      if (packet.cmd === 'publish') {
        publishes.push({ connection, packet })
        if (connection === 1) socket.destroy()
        else send({ cmd: 'pubrec', messageId: packet.messageId! })
      }
      if (packet.cmd === 'pubrel') send({ cmd: 'pubcomp', messageId: packet.messageId })
    })
    socket.on('data', (chunk) => parser.parse(chunk))
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    publishes,
    close: () => {
      for (const socket of sockets) socket.destroy()
      server.close()
    }
  }
}

test('a QoS 2 message cut off by a lost link goes again with DUP and the packet id it had', async (t) => {
  const remote = await forgetfulRemote()
  t.after(() => remote.close())
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', remote.url, [{ pattern: 'cmd/#', direction: 'out', qos: 2 }])], 'site')
  await until('the bridge connected', () => site.broker.bridges!.states().get('cloud')!.connected)
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('cmd/valve', 'close', { qos: 2 })
  await until('sent on two connections', () => remote.publishes.length >= 2)
  await until('completed', () => site.broker.bridges!.states().get('cloud')!.forwardedOut === 1)
  const [first, again] = remote.publishes
  assert.equal(first!.connection, 1)
  assert.equal(again!.connection, 2)
  assert.equal(first!.packet.dup, false)
  assert.equal(again!.packet.dup, true)
  assert.equal(again!.packet.messageId, first!.packet.messageId)
  assert.equal(again!.packet.payload.toString(), 'close')
})
