import type { Logger } from 'pino'
import type { LiveEvent } from '../api/api-types.js'
import type { LiveFeed } from '../api/service-parts.js'

export interface LiveHubOptions {
  /** Events waiting for one subscriber, at most; past it the oldest are dropped. */
  maxQueued?: number
}

interface Subscriber {
  listener: (event: LiveEvent) => void
  queue: LiveEvent[]
  dropped: number
}

/**
 * The live feed: every part emits its changes here, and each subscriber (an SSE stream) gets them in order.
 * Events are handed over on a later turn of the event loop, never inside ingest's own call, and each
 * subscriber has a bounded queue: one that falls behind (its listener is slow, the loop is busy) loses
 * its oldest events rather than growing the process's memory.
 */
export class LiveHub implements LiveFeed {
  private readonly subscribers = new Set<Subscriber>()
  private scheduled = false
  private readonly maxQueued: number

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    options: LiveHubOptions = {}
  ) {
    this.maxQueued = options.maxQueued ?? 1000
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    const subscriber: Subscriber = { listener, queue: [], dropped: 0 }
    this.subscribers.add(subscriber)
    return () => {
      this.subscribers.delete(subscriber)
    }
  }

  emit(event: LiveEvent): void {
    for (const subscriber of this.subscribers) {
      if (subscriber.queue.length >= this.maxQueued) {
        subscriber.queue.shift()
        subscriber.dropped++
      }
      subscriber.queue.push(event)
    }
    if (this.subscribers.size > 0 && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.deliver())
    }
  }

  private deliver(): void {
    this.scheduled = false
    for (const subscriber of this.subscribers) {
      const events = subscriber.queue
      subscriber.queue = []
      if (subscriber.dropped > 0) {
        this.logger.warn({ dropped: subscriber.dropped }, 'a live feed subscriber fell behind; its oldest events were dropped')
        subscriber.dropped = 0
      }
      for (const event of events) {
        // Unsubscribed by an earlier event's listener: the rest is not for it any more.
        if (!this.subscribers.has(subscriber)) break
        try {
          subscriber.listener(event)
        } catch (error) {
          this.logger.warn({ err: error }, 'a live feed listener failed')
        }
      }
    }
  }
}
