import { performance } from 'node:perf_hooks'
import type { BenchClient } from '../bench-client.js'
import type { PublishTemplate } from '../publish-template.js'
import type { Tally } from '../tally.js'

const PUBACK = 4
/**
 * A windowed publisher refills once this many PUBACKs are back, not per PUBACK: brokers that send
 * each PUBACK in its own segment would otherwise cost the generator a write per message.
 */
const WINDOW_REFILL_BATCH = 8

/**
 * QoS 1, `total` PUBLISHes round-robin over `templates` (one per topic), at most `window`
 * unacknowledged; resolves once all are acknowledged. Rejects if no PUBACK arrives for `stallMs`
 * or the connection is lost, saying how far it got.
 */
export async function publishCounted(
  client: BenchClient,
  templates: readonly PublishTemplate[],
  total: number,
  window: number,
  tally: Tally,
  stallMs: number
): Promise<void> {
  let sent = 0
  let acked = 0
  let unrefilled = 0
  const send = (count: number): void => {
    const batch = Array.from({ length: count }, (_, index) => templates[(sent + index) % templates.length].batch(1))
    sent += count
    tally.published += count
    client.write(Buffer.concat(batch))
  }
  await new Promise<void>((resolve, reject) => {
    let lastProgress = performance.now()
    const watchdog = setInterval(() => {
      const how = `${acked} of ${total} acknowledged`
      if (client.lostReason !== undefined) fail(new Error(`publisher connection lost (${client.lostReason}); ${how}`))
      else if (performance.now() - lastProgress > stallMs) fail(new Error(`no PUBACK for ${stallMs} ms; ${how}`))
    }, 1000)
    const fail = (error: Error): void => {
      clearInterval(watchdog)
      reject(error)
    }
    client.onPacket = (type) => {
      if (type !== PUBACK) return
      acked++
      unrefilled++
      tally.recordAcks(1)
    }
    client.afterChunk = () => {
      lastProgress = performance.now()
      if (acked >= total) {
        clearInterval(watchdog)
        resolve()
        return
      }
      const refill = Math.min(unrefilled, total - sent)
      if (refill > 0 && (unrefilled >= WINDOW_REFILL_BATCH || sent + refill === total)) {
        send(refill)
        unrefilled = 0
      }
    }
    send(Math.min(window, total))
  })
}
