import assert from 'node:assert/strict'
import { delivery, message } from '../../broker/store/conformance.js'
import type { SessionQueue } from '../../broker/store/store.js'

/**
 * Fills an empty paged queue with `total` deliveries (ids 1..total, 2-byte payloads) and drains it, pushing one more
 * every 100 shifted while the first `total` drain, as publishers go on while a consumer catches up. Asserts that it
 * had to wait for pages, that every delivery came once and in order, and that the counts end at zero.
 */
export async function assertPagesInOrderWhileGrowing(queue: SessionQueue, total: number): Promise<void> {
  for (let id = 1; id <= total; id++) queue.push(delivery(message(id, 't', 'xy'), 1))
  assert.equal(queue.length, total)
  assert.equal(queue.bytes, total * 2)
  const ids: number[] = []
  let waits = 0
  while (queue.length > 0) {
    const item = queue.shift()
    if (item === undefined) {
      waits++
      await new Promise<void>((resolve) => queue.whenReadable(resolve))
      continue
    }
    ids.push(item.message.id)
    if (ids.length % 100 === 0 && ids.length <= total) queue.push(delivery(message(total + ids.length / 100, 't', 'xy'), 1))
  }
  assert.ok(waits > 0, 'the queue was read from its store')
  assert.deepEqual(
    ids,
    Array.from({ length: ids.length }, (_, i) => i + 1)
  )
  assert.equal(queue.bytes, 0)
}
