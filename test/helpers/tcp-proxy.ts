import { connect, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'

/** One connection through the proxy: the client's socket, the broker's, and the way to end both. */
export interface ProxiedConnection {
  client: Socket
  upstream: Socket
  close(): void
}

/**
 * A TCP proxy on a free loopback port in front of the broker on `brokerPort`, closed after the test: `wire` sets up
 * how the bytes of each connection go between the two sockets (both end when either does). Gives its mqtt:// URL.
 */
export async function tcpProxy(t: TestContext, brokerPort: number, wire: (connection: ProxiedConnection) => void): Promise<string> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    const close = (): void => {
      client.destroy()
      upstream.destroy()
    }
    wire({ client, upstream, close })
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as { port: number }
  return `mqtt://127.0.0.1:${port}`
}
