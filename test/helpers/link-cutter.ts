import { connect, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'
import mqttPacket, { type Packet } from 'mqtt-packet'

/**
 * A TCP proxy in front of a broker that cuts the first connection through it on which the client sends a packet
 * `cmd`, before that packet goes on: the broker never sees it (a link lost just as the client answered). Later
 * connections pass untouched. `cut` resolves once it happened.
 */
export async function cutAtFirst(t: TestContext, brokerPort: number, cmd: Packet['cmd']): Promise<{ url: string; cut: Promise<void> }> {
  const sockets = new Set<Socket>()
  let cutDone = false
  let resolveCut = (): void => {}
  const cut = new Promise<void>((resolve) => {
    resolveCut = resolve
  })
  const server = createServer((client) => {
    const upstream = connect(brokerPort, '127.0.0.1')
    sockets.add(client).add(upstream)
    const close = (): void => {
      client.destroy()
      upstream.destroy()
    }
    const parser = mqttPacket.parser({ protocolVersion: 5 })
    let cutting = false
    parser.on('packet', (packet: Packet) => {
      if (!cutDone && packet.cmd === cmd) cutting = true
    })
    client.on('data', (chunk: Buffer) => {
      if (!cutDone) parser.parse(chunk)
      if (!cutting) {
        upstream.write(chunk)
        return
      }
      cutDone = true
      close()
      resolveCut()
    })
    upstream.pipe(client)
    client.on('close', close).on('error', close)
    upstream.on('close', close).on('error', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as { port: number }
  return { url: `mqtt://127.0.0.1:${port}`, cut }
}
