import type { MqttClient } from 'mqtt'

/**
 * Sends a device's last words (`farewell`: its offline status, an edge node's NDEATH), then a clean DISCONNECT,
 * waiting at most `timeoutMs`: a broker that went away meanwhile never acknowledges, so the wait also ends when
 * the socket closes. The client is ended for good either way.
 */
export async function endCleanly(client: MqttClient, farewell: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const done = (async () => {
    await farewell()
    await client.endAsync()
  })()
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()))
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs)
  })
  await Promise.race([done.catch(() => {}), closed, timeout])
  clearTimeout(timer)
  client.end(true)
}
