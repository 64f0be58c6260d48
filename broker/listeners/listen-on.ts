import type { Server } from 'node:net'

export interface ListenAddress {
  host: string
  port: number
}

/** Starts `server` listening; rejects with the listen error (a port in use, say) instead of emitting it. */
export async function listenOn(server: Server, address: ListenAddress): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ host: address.host, port: address.port }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}
