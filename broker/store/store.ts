import type { QoS } from 'mqtt-packet'
import type { Delivery, Message } from '../message.js'

/**
 * Where broker state lives beyond a single connection: sessions, their subscriptions, queues,
 * in-flight windows and inbound QoS 2 ids, and retained messages.
 *
 * The broker keeps its working copy in memory (tries, session objects) and tells the store of every
 * change as it happens; writes are synchronous calls that a backend may batch. `flush()` is the
 * durability barrier: it resolves once every change made before it is safe, which is when PUBACK and
 * PUBREC may go out. `open()` returns what a broker starting on this store must restore.
 * Queues are the exception to the working copy: they live in the store, so a backend can keep an
 * offline session's queue on disk rather than in memory.
 * Only sessions that outlive a connection (expiry > 0) are written; a written session resumed with expiry 0 stays
 * written until it ends with that connection.
 */
export interface Store {
  /**
   * Whether writes reach something that outlives the process. When true, PUBACK / PUBREC wait for
   * the `flush()` that covers the message; a memory store acknowledges at once.
   */
  readonly durable: boolean
  open(): Promise<StoreSnapshot>
  saveSession(record: SessionRecord): void
  /** Removes the session and everything it owns: subscriptions, queue, in-flight, inbound ids. */
  deleteSession(clientId: string): void
  saveSubscription(clientId: string, subscription: SubscriptionRecord): void
  deleteSubscription(clientId: string, fullFilter: string): void
  saveRetained(message: Message): void
  deleteRetained(topic: string): void
  /** The session's queue of messages waiting to be sent, oldest first. */
  queue(clientId: string): SessionQueue
  /**
   * Writes an in-flight record. One in state 'publish' is new: no record of its packet id is left since the last
   * `deleteInflight` of that id (a session allocates ids not in flight); only 'pubrel' replaces a record.
   */
  saveInflight(clientId: string, record: InflightRecord): void
  deleteInflight(clientId: string, packetId: number): void
  saveIncomingQos2(clientId: string, packetId: number): void
  deleteIncomingQos2(clientId: string, packetId: number): void
  /**
   * Resolves when every change made before the call is durable. Calls made before the same commit
   * get the same promise. Rejects with a StoreError when the changes could not be made durable
   * (a full disk): the messages they carried must not be acknowledged.
   */
  flush(): Promise<void>
  close(): Promise<void>
  /** Since when (ms since the epoch) the store's server cannot be reached; undefined while it can (or has none). */
  readonly unavailableSince?: number
  /** Reports each commit to `observer` (for metrics); absent where the store has no commits to report. */
  observeCommits?(observer: CommitObserver): void
}

/**
 * Told of each commit: how many write operations it held (what the batch limit counts: SQLite's operations, Redis's
 * commands), and the seconds from sending it to its being durable.
 */
export type CommitObserver = (operations: number, seconds: number) => void

export interface SessionRecord {
  clientId: string
  protocolVersion: 3 | 4 | 5
  /** Seconds the session outlives its connection; 0xFFFFFFFF = never expires. */
  expiryInterval: number
  /** When its last connection ended, in ms since the epoch; undefined while connected. */
  disconnectedAt: number | undefined
  owner: SessionOwner
}

/**
 * The user a session belongs to: only a connection of the same user may resume it. `username` undefined is an
 * anonymous session (its connection gave no user name). 'unknown': stored before sessions had owners (SQLite
 * format 1), so no connection may resume it.
 */
export type SessionOwner = { readonly username: string | undefined } | 'unknown'

export interface SubscriptionRecord {
  fullFilter: string
  qos: QoS
  noLocal: boolean
  retainAsPublished: boolean
  retainHandling: 0 | 1 | 2
  subscriptionId: number | undefined
}

/** An outgoing QoS 1/2 message awaiting PUBACK / PUBREC ('publish'), or PUBCOMP ('pubrel'). */
export interface InflightRecord {
  packetId: number
  state: 'publish' | 'pubrel'
  delivery: Delivery
}

export interface StoredSession {
  record: SessionRecord
  subscriptions: SubscriptionRecord[]
  /** In the order they were sent. */
  inflight: InflightRecord[]
  incomingQos2: number[]
}

export interface StoreSnapshot {
  sessions: StoredSession[]
  retained: Message[]
  /** The highest message id the store has seen; new messages number on from it. */
  lastMessageId: number
}

/**
 * Messages waiting for one session, oldest first, with their count and payload bytes for the limits.
 * A backend may keep only the head of a long queue in memory and page the rest in from disk.
 */
export interface SessionQueue {
  readonly length: number
  readonly bytes: number
  push(delivery: Delivery): void
  /**
   * The oldest waiting delivery. Undefined when the queue is empty, or when `length > 0` but the next
   * page is still being read: then `whenReadable` calls back once `shift` can go on.
   */
  shift(): Delivery | undefined
  whenReadable(callback: () => void): void
  clear(): void
  /**
   * Whether the session is connected. A paged queue keeps more of an online session's deliveries in memory
   * (they are about to be sent: reading them back from disk would be wasted work) and few of an offline one's.
   */
  setOnline(online: boolean): void
}

/**
 * The store could not make changes durable; what they carried must not be acknowledged yet. With `caughtUp` (kind
 * 'unavailable': the store's server could not be reached) the store keeps the changes and writes them once it is back:
 * `caughtUp` resolves then, and what waited for them may be acknowledged after all.
 */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly kind: 'full' | 'failed' | 'unavailable',
    readonly caughtUp?: Promise<void>
  ) {
    super(message)
    this.name = 'StoreError'
  }
}
