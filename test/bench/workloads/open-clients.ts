import { BenchClient } from '../bench-client.js'

/**
 * Opens `count` connections, at most `concurrency` handshakes at a time so the brokers' listen
 * backlogs (100–511) never overflow into SYN retries that would stall the setup for seconds.
 */
export async function openClients (port: number, count: number, idPrefix: string, concurrency = 50): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array(count)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++
      clients[index] = await BenchClient.open(port, `${idPrefix}-${index}`)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
  return clients
}
