import { createServer } from 'node:net'

/**
 * A port nothing listens on now, on `host`. The supervisor fixes ports before it starts the parts, so a
 * restarted broker comes back where the service and the simulator already look for it (port 0 would
 * hand it another one on every start).
 */
export async function freePort(host: string): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => resolve())
  })
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
