import { type AddressInfo, createServer, type Server, type Socket } from 'node:net'
import { type ListenAddress, listenOn } from './listen-on.js'

/** A plain TCP listener: hands every accepted socket to `accept`, knows nothing of MQTT. */
export async function listenTcp(
  address: ListenAddress,
  accept: (socket: Socket) => void
): Promise<{ server: Server; address: AddressInfo }> {
  const server = createServer({ noDelay: true }, accept)
  await listenOn(server, address)
  return { server, address: server.address() as AddressInfo }
}
