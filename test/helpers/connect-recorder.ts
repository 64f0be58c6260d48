import type { TestContext } from 'node:test'
import mqttPacket, { type IConnectPacket } from 'mqtt-packet'
import { tcpProxy } from './tcp-proxy.js'

/**
 * A TCP proxy in front of a broker that keeps the CONNECT packet of every connection through it, for the
 * assertions about what a client asks for (its session, its will) that the broker's side does not show.
 */
export async function recordConnects(t: TestContext, brokerPort: number): Promise<{ url: string; connects: IConnectPacket[] }> {
  const connects: IConnectPacket[] = []
  const url = await tcpProxy(t, brokerPort, ({ client, upstream }) => {
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
  })
  return { url, connects }
}
