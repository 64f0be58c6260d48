import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export interface ListenAddress {
  host: string
  port: number
}

/** A plain TCP listener: hands every accepted socket to `accept`, knows nothing of MQTT. */
export async function listenTcp (address: ListenAddress, accept: (socket: Socket) => void): Promise<{ server: Server, address: AddressInfo }> {
  const server = createServer({ noDelay: true }, accept)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
  return { server, address: server.address() as AddressInfo }
}
