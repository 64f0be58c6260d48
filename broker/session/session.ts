import { type Delivery, isExpired } from '../message.js'
import type { BrokerOptions } from '../options.js'
import type { Subscriber } from '../router/subscription.js'
import { type BrokerStats, DropReason } from '../stats.js'
import { MemoryQueue } from '../store/memory-queue.js'
import type { InflightRecord, SessionOwner, SessionQueue, Store } from '../store/store.js'
import { BacklogGate, backlogMarks } from './backlog-gate.js'
import { Deadline, NEVER_EXPIRES } from './expiry.js'
import { Inflight } from './inflight.js'
import type { PublishBackPressure } from './publish-back-pressure.js'
import { queueWithinLimits } from './queue-within-limits.js'
import type { QueueLimits, SessionLink } from './session-link.js'
import { SubscriptionsByFilter } from './subscriptions-by-filter.js'
import { keptWill, type Will, willDelay } from './will.js'

const NO_PACKET_IDS: ReadonlySet<number> = new Set()

/** What a session needs from the registry that holds it (session-registry.ts). */
export interface SessionContext {
  readonly options: Readonly<BrokerOptions>
  readonly stats: BrokerStats
  readonly store: Store
  /** Where a connected session whose queue is past its high mark asks the message's publisher to wait. */
  readonly backPressure: PublishBackPressure
  publishWill(session: Session, will: Will): void
  /** The session's expiry ran out while it was offline. */
  expire(session: Session): void
}

/**
 * The state of one client id, which may outlive its connection (spec 4.1): subscriptions, the
 * outgoing in-flight window, the queue behind it, inbound QoS 2 ids, the will.
 * Invariant: while the session is connected and its queue is not empty, the in-flight window is full
 * (messages are sent in order; a free slot is filled from the queue at once).
 */
export class Session implements Subscriber {
  link: SessionLink | undefined
  readonly subscriptions = new SubscriptionsByFilter()
  readonly inflight = new Inflight()
  /** Inbound QoS 2 packet ids received and not yet released: duplicates are not routed again. Made on the first. */
  private incomingQos2Ids: Set<number> | undefined
  protocolVersion: 3 | 4 | 5
  /** The user name of the last connection, for authorizing its will after it is gone. */
  username: string | undefined
  /** Its own queue limits (a bridge's); the broker's maxQueuedMessages and maxQueuedBytes when undefined. */
  queueLimits: QueueLimits | undefined
  private queueStore: SessionQueue | undefined
  private awaitingPage = false
  /** Made when the queue of the connected session first reaches its high mark: an idle session pays nothing. */
  private backlog: BacklogGate | undefined
  private expiryInterval = 0
  /**
   * The session's state is written to the store: it has outlived (or was set to outlive) a connection. It stays
   * written when a resumed session's expiry drops to 0, so what waited for it is still delivered on the connection
   * that resumed it [MQTT-3.1.2-5]; the rows go when the session ends with that connection.
   */
  private stored = false
  /** Restored from the store at start or taken over from another node: the store may hold its queue. */
  private restored = false
  private will: Will | undefined
  private willDeadline: Deadline | undefined
  private expiryDeadline: Deadline | undefined

  constructor(
    readonly clientId: string,
    protocolVersion: 3 | 4 | 5,
    /** Who may resume this session: the user that made it, for its whole life. */
    readonly owner: SessionOwner,
    private readonly context: SessionContext
  ) {
    this.protocolVersion = protocolVersion
  }

  get isConnected(): boolean {
    return this.link !== undefined
  }

  /** Outlives its connection, and so is written to the store. */
  get isPersistent(): boolean {
    return this.expiryInterval > 0
  }

  /** Written to the store (see `stored`). */
  get isStored(): boolean {
    return this.stored
  }

  get expiry(): number {
    return this.expiryInterval
  }

  /** When the offline session ends unless a connection resumes it (ms since the epoch); undefined while connected or when it never expires. */
  get expiresAt(): number | undefined {
    return this.expiryDeadline?.at
  }

  /** The inbound QoS 2 ids held (see receivedQos2). */
  get incomingQos2(): ReadonlySet<number> {
    return this.incomingQos2Ids ?? NO_PACKET_IDS
  }

  get queue(): SessionQueue {
    if (this.queueStore === undefined) {
      this.queueStore = this.stored ? this.context.store.queue(this.clientId) : new MemoryQueue()
      this.queueStore.setOnline(this.link !== undefined)
    }
    return this.queueStore
  }

  /** The messages waiting for the session and their payload bytes (none for a session without a queue yet). */
  get queued(): { messages: number; bytes: number } {
    const queue = this.waitingQueue
    return { messages: queue?.length ?? 0, bytes: queue?.bytes ?? 0 }
  }

  /**
   * The queue, if it may hold anything: one made here, or the store's for a session restored from it. A new
   * session's queue is empty in the store too, and is made by its first queued message: a device that is sent
   * nothing pays for no queue.
   */
  private get waitingQueue(): SessionQueue | undefined {
    return this.queueStore ?? (this.restored ? this.queue : undefined)
  }

  /**
   * Sets how long the session outlives its connection. A stored session set to 0 keeps its queue and in-flight
   * messages for the connection it is on (the new interval only says what happens when that one ends) [MQTT-3.1.2-5].
   * Not written here: `attach` (CONNECT) or `detach` (DISCONNECT) writes the record next; a restored one is what the
   * store holds (writing it again reset its offline time to now).
   */
  setExpiry(seconds: number): void {
    this.expiryInterval = seconds
    if (seconds > 0) this.stored = true
  }

  attach(link: SessionLink, will: Will | undefined): void {
    this.stopTimers() // a reconnect within the Will Delay Interval cancels the will [MQTT-3.1.3-9]
    this.link = link
    this.queueStore?.setOnline(true)
    this.protocolVersion = link.protocolVersion
    this.will = will === undefined ? undefined : keptWill(will)
    if (this.stored) this.saveRecord()
  }

  /** Sends again what was in flight when the last connection ended (DUP set) [MQTT-4.4.0-1], then the queue. */
  resume(): void {
    const link = this.link
    if (link === undefined) return
    for (const record of this.inflight.values()) {
      if (record.state === 'pubrel') {
        link.sendPubrel(record.packetId)
        continue
      }
      const encoded = link.encodePublish(record.delivery)
      if (encoded === undefined) {
        this.complete(record.packetId)
        continue
      }
      link.writePublish(encoded, record.packetId, true)
    }
    this.pump()
  }

  /**
   * The connection ended. `sendWill` is false after a normal DISCONNECT. Returns true when the
   * session ends with it (expiry 0); otherwise it waits offline for its expiry.
   */
  detach(sendWill: boolean): boolean {
    this.link = undefined
    this.queueStore?.setOnline(false)
    this.releasePublishers()
    const will = this.will
    this.will = undefined
    if (this.stored) this.saveRecord()
    const endsNow = !this.isPersistent
    if (will !== undefined && sendWill) {
      const delay = willDelay(will)
      if (delay === 0 || endsNow) {
        this.context.publishWill(this, will)
      } else {
        this.holdWill(will, delay)
      }
    }
    if (!endsNow && this.expiryInterval !== NEVER_EXPIRES) {
      this.expiryDeadline = new Deadline(this.expiryInterval, () => this.context.expire(this))
    }
    return endsNow
  }

  /**
   * Holds the will of the connection that ended `elapsedSeconds` ago until its delay has passed: it goes out when the
   * delay ends or the session ends, whichever is first [MQTT-3.1.3-9], unless a connection resumes the session first.
   */
  holdWill(will: Will, delaySeconds: number, elapsedSeconds = 0): void {
    this.will = will
    this.willDeadline = new Deadline(Math.max(0, Math.min(delaySeconds, this.expiryInterval) - elapsedSeconds), () =>
      this.firePendingWill()
    )
  }

  /**
   * A session restored from the store, offline for `elapsedSeconds` already: it waits out the rest of its expiry,
   * and its queue is read from the store.
   */
  waitOffline(elapsedSeconds: number): void {
    this.restored = true
    if (this.expiryInterval === NEVER_EXPIRES) return
    this.expiryDeadline = new Deadline(Math.max(0, this.expiryInterval - elapsedSeconds), () => this.context.expire(this))
  }

  /** The session ends: its pending will goes out, timers stop, its queue and in-flight are dropped. */
  end(): void {
    this.firePendingWill()
    this.stopTimers()
    this.releasePublishers()
    this.queueStore?.clear()
    this.inflight.clear()
    this.incomingQos2Ids = undefined
    if (this.stored) this.context.store.deleteSession(this.clientId)
    this.stored = false
  }

  /** Cancels the will's and the expiry's timers; on close, the store keeps both for the next start to arm again. */
  stopTimers(): void {
    this.willDeadline?.cancel()
    this.willDeadline = undefined
    this.expiryDeadline?.cancel()
    this.expiryDeadline = undefined
  }

  /**
   * Another holder (a cluster node) takes the session on: timers stop, the will is dropped as a resume would drop
   * it, and the state stays in the store for the new holder.
   */
  letGo(): void {
    this.stopTimers()
    this.will = undefined
    this.link = undefined
  }

  /** Hands a message to this session: sent now, queued behind the in-flight window, or dropped. */
  deliver(delivery: Delivery): void {
    const link = this.link
    if (delivery.qos === 0) {
      if (link !== undefined) {
        if (link.isCongested) {
          this.context.stats.dropped[DropReason.QueueFull]++ // its socket's buffer is the queue of a QoS 0 subscriber
          return
        }
        const encoded = link.encodePublish(delivery)
        if (encoded !== undefined) link.writePublish(encoded, 0, false)
        if (delivery.message.origin !== this.clientId) this.holdPublisherFor(link.socketBacklogWait())
      } else if (this.context.options.queueQos0 && this.isPersistent) {
        this.enqueue(delivery)
      }
      return
    }
    if (link !== undefined && this.inflight.size < link.sendWindow && (this.waitingQueue?.length ?? 0) === 0) {
      this.send(link, delivery)
    } else {
      this.enqueue(delivery)
      // A client publishing to itself is not held: its PUBACKs, which drain this queue, would go unread.
      if (link !== undefined && delivery.message.origin !== this.clientId) this.holdPublisher(link)
    }
  }

  /** An inbound QoS 2 PUBLISH was routed: its id is held until PUBREL, so a resent copy is not routed again [MQTT-4.3.3-10]. */
  receivedQos2(packetId: number): void {
    this.restoreQos2(packetId)
    if (this.stored) this.context.store.saveIncomingQos2(this.clientId, packetId)
  }

  /** An inbound QoS 2 id held, as the store kept it for a restored session. */
  restoreQos2(packetId: number): void {
    this.incomingQos2Ids ??= new Set()
    this.incomingQos2Ids.add(packetId)
  }

  /** PUBREL: the id is free for a new message; false when it was not held. */
  releasedQos2(packetId: number): boolean {
    const known = this.incomingQos2Ids?.delete(packetId) === true
    if (known && this.stored) this.context.store.deleteIncomingQos2(this.clientId, packetId)
    return known
  }

  /** PUBACK, or PUBREC with a failure code, or PUBCOMP: the message is done. */
  complete(packetId: number): boolean {
    if (!this.inflight.delete(packetId)) return false
    if (this.stored) this.context.store.deleteInflight(this.clientId, packetId)
    this.pump()
    return true
  }

  /** PUBREC: the client has the QoS 2 message; from now on only PUBREL / PUBCOMP are outstanding. */
  released(packetId: number): InflightRecord | undefined {
    const record = this.inflight.get(packetId)
    if (record === undefined) return undefined
    const released: InflightRecord = { packetId, state: 'pubrel', delivery: record.delivery }
    this.inflight.set(released)
    if (this.stored) this.context.store.saveInflight(this.clientId, released)
    return released
  }

  /** Fills free in-flight slots from the queue, in order. */
  pump(): void {
    const link = this.link
    const queue = this.waitingQueue
    if (link === undefined || queue === undefined) return
    const now = Date.now()
    while (queue.length > 0 && this.inflight.size < link.sendWindow) {
      const delivery = queue.shift()
      if (delivery === undefined) {
        // The next page is on its way from disk; go on when it is here (once per wait).
        if (!this.awaitingPage) {
          this.awaitingPage = true
          queue.whenReadable(() => {
            this.awaitingPage = false
            this.pump()
          })
        }
        return
      }
      if (isExpired(delivery.message, now)) {
        this.context.stats.dropped[DropReason.Expired]++
        continue
      }
      if (delivery.qos === 0) {
        const encoded = link.encodePublish(delivery)
        if (encoded !== undefined) link.writePublish(encoded, 0, false)
      } else {
        this.send(link, delivery)
      }
    }
    this.backlog?.afterTake(queue.length, queue.bytes)
  }

  /** The queue of the connected session grew: past its high mark, the publisher of the message waits for it to drain. */
  private holdPublisher(link: SessionLink): void {
    const queue = this.queue
    if (this.backlog === undefined) {
      // Made on the first message queued while connected and kept until the session goes offline, so the marks are
      // worked out once per connection, not for every queued message.
      const { maxQueuedMessages, maxQueuedBytes, drainTimeout } = this.context.options
      const marks = backlogMarks(link.sendWindow, this.stored, maxQueuedMessages, maxQueuedBytes)
      // A client that takes nothing for as long as a write may wait to drain is held to be stalled.
      this.backlog = new BacklogGate(marks, drainTimeout * 1000)
    }
    this.holdPublisherFor(this.backlog.afterPush(queue.length, queue.bytes))
  }

  /** The publisher of the message being delivered waits for `wait`, when there is one. */
  private holdPublisherFor(wait: Promise<void> | undefined): void {
    if (wait !== undefined) this.context.backPressure.hold(wait)
  }

  private send(link: SessionLink, delivery: Delivery): void {
    const encoded = link.encodePublish(delivery)
    if (encoded === undefined) return // too large for this client: as if sent and acknowledged [MQTT-3.1.2-25]
    const record: InflightRecord = { packetId: this.inflight.allocateId(), state: 'publish', delivery }
    this.inflight.set(record)
    if (this.stored) this.context.store.saveInflight(this.clientId, record)
    link.writePublish(encoded, record.packetId, false)
  }

  /** Offline (its queue bounded by its limit alone) or ended: the session holds no publisher. */
  private releasePublishers(): void {
    this.backlog?.release()
    this.backlog = undefined
  }

  private enqueue(delivery: Delivery): void {
    queueWithinLimits(this.queue, delivery, this.link !== undefined, this.queueLimits, this.context.options, this)
  }

  /** A delivery the queue's limits made it drop (queue-within-limits.ts): counted, and told to a bridge's limits. */
  dropped(delivery: Delivery): void {
    this.context.stats.dropped[DropReason.QueueFull]++
    this.queueLimits?.dropped?.(delivery)
  }

  private firePendingWill(): void {
    this.willDeadline?.cancel()
    this.willDeadline = undefined
    const will = this.will
    if (will === undefined || this.link !== undefined) return
    this.will = undefined
    this.context.publishWill(this, will)
  }

  private saveRecord(): void {
    this.context.store.saveSession({
      clientId: this.clientId,
      protocolVersion: this.protocolVersion,
      expiryInterval: this.expiryInterval,
      disconnectedAt: this.link === undefined ? Date.now() : undefined,
      owner: this.owner
    })
  }
}
