import { performance } from 'node:perf_hooks'
import type { BenchClient } from '../bench-client.js'
import type { PublishTemplate } from '../publish-template.js'
import type { Tally } from '../tally.js'

const PUBACK = 4
/** PUBLISHes per socket write when sending flat out: fewer syscalls, so the generator stays light. */
const FLAT_OUT_BATCH = 64
/** Writes per event-loop turn before yielding, so subscribers' reads are not starved. */
const FLAT_OUT_WRITES_PER_TURN = 8
/**
 * A windowed publisher refills once this many PUBACKs are back, not per PUBACK: brokers that send
 * each PUBACK in its own segment would otherwise cost the generator a write per message.
 */
const WINDOW_REFILL_BATCH = 8
/** After a stall, a paced publisher sends at most this much of its backlog at once. */
const MAX_CATCH_UP_MS = 50

/** Stops a publisher; traffic already written still drains. */
export type StopPublishing = () => void

/** QoS 0 as fast as the broker reads: write until the socket refuses, then wait for drain. */
export function publishFlatOut(client: BenchClient, template: PublishTemplate, tally: Tally): StopPublishing {
  let running = true
  const pump = (): void => {
    for (let writes = 0; running && writes < FLAT_OUT_WRITES_PER_TURN; writes++) {
      tally.published += FLAT_OUT_BATCH
      if (!client.write(template.batch(FLAT_OUT_BATCH))) {
        void client.drained().then(pump)
        return
      }
    }
    if (running) setImmediate(pump)
  }
  pump()
  return () => {
    running = false
  }
}

/** QoS 1 with at most `window` PUBLISHes unacknowledged, refilled as PUBACKs come back. */
export function publishWindowed(client: BenchClient, template: PublishTemplate, window: number, tally: Tally): StopPublishing {
  let running = true
  let acked = 0
  client.onPacket = (type) => {
    if (type !== PUBACK) return
    acked++
    tally.recordAcks(1)
  }
  client.afterChunk = () => {
    if (!running || acked < WINDOW_REFILL_BATCH) return
    tally.published += acked
    client.write(template.batch(acked))
    acked = 0
  }
  tally.published += window
  client.write(template.batch(window))
  return () => {
    running = false
  }
}

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

/**
 * `rate` PUBLISHes per second. Timers fire every millisecond at best, and late under load, so each
 * tick sends however many are due by the clock rather than a fixed number per tick.
 */
export function publishPaced(client: BenchClient, template: PublishTemplate, rate: number, tally: Tally): StopPublishing {
  const startedAt = performance.now()
  let sent = 0
  let blocked = false
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - startedAt) * rate) / 1000)
    if (blocked || due <= sent) return
    // The rate is an offer, not a debt: after a stall the backlog beyond MAX_CATCH_UP_MS is dropped.
    const count = Math.min(due - sent, Math.ceil((rate * MAX_CATCH_UP_MS) / 1000))
    sent = due
    tally.published += count
    if (!client.write(template.batch(count))) {
      blocked = true
      void client.drained().then(() => {
        blocked = false
      })
    }
  }, 1)
  return () => clearInterval(timer)
}
