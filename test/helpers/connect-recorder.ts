import { connect, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import mqttPacket, { type IConnectPacket } from 'mqtt-packet'

/**
 * A TCP proxy in front of a broker that keeps the CONNECT packet of every connection through it, for the
 * assertions about what a client asks for (its session, its will) that the broker's side does not show.
 */
export async function recordConnects(t: TestContext, brokerPort: number): Promise<{ url: string; connects: IConnectPacket[] }> {
  const connects: IConnectPacket[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    let first = true
    parser.on('packet', (packet) => {
      if (first && packet.cmd === 'connect') connects.push(packet)
      first = false
    })
    client.on('data', (chunk: Buffer) => {
      if (first) parser.parse(chunk)
    })
    client.pipe(upstream).pipe(client)
    const close = (): void => {
      client.destroy()
      upstream.destroy()
    }
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as { port: number }
  return { url: `mqtt://127.0.0.1:${port}`, connects }
}
