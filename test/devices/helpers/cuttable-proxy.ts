import { createConnection, createServer, type Server, type Socket } from 'node:net'
import type { TestContext } from 'node:test'

/**
 * A TCP proxy in front of a broker whose link can be cut: a network outage that neither end causes.
 * While cut, open connections are destroyed and new ones are accepted and dropped at once, as a dead
 * link looks to a device; the listening port stays, so the device comes back to the same address.
 */
export class CuttableProxy {
  private cut = false
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly port: number
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  static async start(t: TestContext, targetPort: number): Promise<CuttableProxy> {
    let proxy: CuttableProxy | undefined
    const server = createServer((client) => {
      if (proxy!.cut) {
        client.destroy()
        return
      }
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
      for (const socket of [client, upstream]) {
        proxy!.sockets.add(socket)
        socket.on('close', () => proxy!.sockets.delete(socket))
        socket.on('error', () => {})
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('proxy has no port')
    proxy = new CuttableProxy(server, address.port)
    t.after(() => proxy.close())
    return proxy
  }

  /** Starts the outage: every connection through the proxy dies, and new ones die at once. */
  cutLink(): void {
    this.cut = true
    for (const socket of this.sockets) socket.destroy()
  }

  restoreLink(): void {
    this.cut = false
  }

  async close(): Promise<void> {
    this.cutLink()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
