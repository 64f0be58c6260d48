import { type Delivery, ownPayload, ownPayloadForSending } from '../message.js'
import type { BrokerOptions } from '../options.js'
import type { SessionQueue } from '../store/store.js'
import type { QueueLimits } from './session-link.js'

/**
 * Queues a delivery for a session within its limits (its own, a bridge's, or max_queued_messages and max_queued_bytes): the
 * limits count every waiting message, and the oldest make room for the newest; a message larger than the byte limit
 * is dropped. Every message dropped goes to `drops`, which counts it.
 */
export function queueWithinLimits(
  queue: SessionQueue,
  delivery: Delivery,
  online: boolean,
  own: QueueLimits | undefined,
  defaults: Pick<BrokerOptions, 'maxQueuedMessages' | 'maxQueuedBytes'>,
  drops: { dropped(delivery: Delivery): void }
): void {
  const maxMessages = own?.maxMessages ?? defaults.maxQueuedMessages
  const maxBytes = own?.maxBytes ?? defaults.maxQueuedBytes
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
