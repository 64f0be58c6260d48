import { type Delivery, ownPayload, ownPayloadForSending } from '../message.js'
import type { BrokerOptions } from '../options.js'
import type { BrokerStats } from '../stats.js'
import type { SessionQueue } from '../store/store.js'

/**
 * Queues a delivery for a session within its limits (max_queued_messages, max_queued_bytes): the limits count every
 * waiting message, and the oldest make room for the newest; a message larger than the byte limit is dropped. Every
 * message dropped is counted.
 */
export function queueWithinLimits(
  queue: SessionQueue,
  delivery: Delivery,
  online: boolean,
  limits: Pick<BrokerOptions, 'maxQueuedMessages' | 'maxQueuedBytes'>,
  stats: BrokerStats
): void {
  const { maxQueuedMessages, maxQueuedBytes } = limits
  const size = delivery.message.payload.length
  if (size > maxQueuedBytes) {
    stats.messagesDropped++
    return
  }
  while (queue.length > 0 && (queue.length >= maxQueuedMessages || queue.bytes + size > maxQueuedBytes)) {
    // A paged queue may have its oldest entries still on disk: then the limit is overshot until they are read.
    if (queue.shift() === undefined) break
    stats.messagesDropped++
  }
  // Behind a connected client's window the message leaves soon, in its wire form; offline it may wait long.
  if (online) ownPayloadForSending(delivery.message)
  else ownPayload(delivery.message)
  queue.push(delivery)
}
