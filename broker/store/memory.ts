import type { Message } from '../message.js'
import { MemoryQueue } from './memory-queue.js'
import type { InflightRecord, SessionQueue, SessionRecord, Store, StoredSession, StoreSnapshot, SubscriptionRecord } from './store.js'

interface SessionEntry {
  record: SessionRecord
  subscriptions: Map<string, SubscriptionRecord>
  inflight: Map<number, InflightRecord>
  incomingQos2: Set<number>
  queue: MemoryQueue | undefined
}

/**
 * The store kept in this process's memory: nothing survives the process, but a broker restarted on
 * the same instance gets its state back, which is what the conformance suite checks.
 */
export class MemoryStore implements Store {
  readonly durable = false
  private readonly sessions = new Map<string, SessionEntry>()
  private readonly retained = new Map<string, Message>()
  private lastMessageId = 0

  async open(): Promise<StoreSnapshot> {
    const sessions: StoredSession[] = [...this.sessions.values()].map((entry) => ({
      record: { ...entry.record },
      subscriptions: [...entry.subscriptions.values()],
      inflight: [...entry.inflight.values()],
      incomingQos2: [...entry.incomingQos2]
    }))
    return { sessions, retained: [...this.retained.values()], lastMessageId: this.lastMessageId }
  }

  saveSession(record: SessionRecord): void {
    const entry = this.sessions.get(record.clientId)
    if (entry !== undefined) {
      entry.record = { ...record }
      return
    }
    this.sessions.set(record.clientId, {
      record: { ...record },
      subscriptions: new Map(),
      inflight: new Map(),
      incomingQos2: new Set(),
      queue: undefined
    })
  }

  deleteSession(clientId: string): void {
    this.sessions.delete(clientId)
  }

  saveSubscription(clientId: string, subscription: SubscriptionRecord): void {
    this.sessions.get(clientId)?.subscriptions.set(subscription.fullFilter, { ...subscription })
  }

  deleteSubscription(clientId: string, fullFilter: string): void {
    this.sessions.get(clientId)?.subscriptions.delete(fullFilter)
  }

  saveRetained(message: Message): void {
    this.retained.set(message.topic, message)
    this.noteMessage(message)
  }

  deleteRetained(topic: string): void {
    this.retained.delete(topic)
  }

  queue(clientId: string): SessionQueue {
    const entry = this.sessions.get(clientId)
    if (entry === undefined) throw new Error(`no stored session ${clientId}`)
    entry.queue ??= new TrackingQueue(this)
    return entry.queue
  }

  saveInflight(clientId: string, record: InflightRecord): void {
    this.sessions.get(clientId)?.inflight.set(record.packetId, { ...record })
    this.noteMessage(record.delivery.message)
  }

  deleteInflight(clientId: string, packetId: number): void {
    this.sessions.get(clientId)?.inflight.delete(packetId)
  }

  saveIncomingQos2(clientId: string, packetId: number): void {
    this.sessions.get(clientId)?.incomingQos2.add(packetId)
  }

  deleteIncomingQos2(clientId: string, packetId: number): void {
    this.sessions.get(clientId)?.incomingQos2.delete(packetId)
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  noteMessage(message: Message): void {
    if (message.id > this.lastMessageId) this.lastMessageId = message.id
  }
}

/** A memory queue that tells its store the ids it holds, so `lastMessageId` covers queued messages. */
class TrackingQueue extends MemoryQueue {
  constructor(private readonly store: MemoryStore) {
    super()
  }

  override push(delivery: Parameters<MemoryQueue['push']>[0]): void {
    super.push(delivery)
    this.store.noteMessage(delivery.message)
  }
}
