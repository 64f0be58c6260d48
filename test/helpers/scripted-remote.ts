import { createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet'

/** A connection to a scripted remote: its number (1 for the first), and how the script answers on it. */
export interface RemoteConnection {
  number: number
  send(packet: Packet): void
  socket: Socket
}

/**
 * A bare MQTT 5.0 server on loopback for bridge tests, answering as `script` says (nothing is answered unless the
 * script does, CONNECT included), that records every PUBLISH with the number of the connection it came on. Closed,
 * with its connections, after the test.
 */
export async function scriptedRemote(
  t: TestContext,
  script: (packet: Packet, connection: RemoteConnection) => void
): Promise<{ url: string; publishes: Array<{ connection: number; packet: IPublishPacket }> }> {
  const publishes: Array<{ connection: number; packet: IPublishPacket }> = []
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    sockets.add(socket)
    const connection: RemoteConnection = {
      number: ++connections,
      send: (packet) => socket.write(mqttPacket.generate(packet, { protocolVersion: 5 })),
      socket
    }
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    parser.on('packet', (packet: Packet) => {
      if (packet.cmd === 'publish') publishes.push({ connection: connection.number, packet })
      script(packet, connection)
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
  return { url: `mqtt://127.0.0.1:${port}`, publishes }
}
