import { type Delivery, ownPayload, ownPayloadForSending } from '../message.js'
import type { SessionQueue } from '../store/store.js'

/**
 * Queues a delivery for a session within its limits (max_queued_messages, max_queued_bytes, or a bridge's own): the
 * limits count every waiting message, and the oldest make room for the newest; a message larger than the byte limit
 * is dropped. Every message dropped goes to `drops`, which counts it.
 */
export function queueWithinLimits(
  queue: SessionQueue,
  delivery: Delivery,
  online: boolean,
  maxMessages: number,
  maxBytes: number,
  drops: { dropped(delivery: Delivery): void }
): void {
  const size = delivery.message.payload.length
  if (size > maxBytes) {
    drops.dropped(delivery)
    return
  }
  while (queue.length > 0 && (queue.length >= maxMessages || queue.bytes + size > maxBytes)) {
    // A paged queue may have its oldest entries still on disk: then the limit is overshot until they are read.
    const oldest = queue.shift()
    if (oldest === undefined) break
    drops.dropped(oldest)
  }
  // Behind a connected client's window the message leaves soon, in its wire form; offline it may wait long.
  if (online) ownPayloadForSending(delivery.message)
  else ownPayload(delivery.message)
  queue.push(delivery)
}
