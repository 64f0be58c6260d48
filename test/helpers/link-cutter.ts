import type { TestContext } from 'node:test'
import mqttPacket, { type Packet } from 'mqtt-packet'
import { tcpProxy } from './tcp-proxy.js'

/**
 * A TCP proxy in front of a broker that cuts the first connection through it on which the client sends a packet
 * `cmd`, before that packet goes on: the broker never sees it (a link lost just as the client answered). Later
 * connections pass untouched. `cut` resolves once it happened.
 */
export async function cutAtFirst(t: TestContext, brokerPort: number, cmd: Packet['cmd']): Promise<{ url: string; cut: Promise<void> }> {
  let cutDone = false
  let resolveCut = (): void => {}
  const cut = new Promise<void>((resolve) => {
    resolveCut = resolve
  })
  const url = await tcpProxy(t, brokerPort, ({ client, upstream, close }) => {
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
  })
  return { url, cut }
}
