import { BenchClient } from '../bench-client.js'

/**
 * The brokers' listen backlogs are 100–511: at most this many handshakes at a time, so they never
 * overflow into SYN retries that would stall the setup for seconds.
 */
const HANDSHAKES_AT_ONCE = 50

/** Opens `count` connections, `${idPrefix}-<n>`. */
export async function openClients(port: number, count: number, idPrefix: string, concurrency = HANDSHAKES_AT_ONCE): Promise<BenchClient[]> {
  const clients: BenchClient[] = new Array(count)
  await forEachIndex(count, concurrency, async (index) => {
    clients[index] = await BenchClient.open(port, `${idPrefix}-${index}`)
  })
  return clients
}

/** `task(0)` … `task(count − 1)`, at most `concurrency` of them running at a time. */
async function forEachIndex(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++)
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}
