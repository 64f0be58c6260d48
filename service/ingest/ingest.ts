import type { Logger } from 'pino'
import type { DeviceStatus } from '../adapters/adapter.js'
import type { AdapterDispatcher } from '../adapters/adapter-dispatcher.js'
import type { UnrecognizedPayloads } from '../adapters/unrecognized-payloads.js'
import type { HistoryStore } from '../history/history-store.js'
import type { Reading } from '../reading.js'
import { ReadingBatcher, type ReadingBatcherOptions, type StoredListener } from './reading-batcher.js'
import type { IncomingMessage, MessageHandler, PlannedFilter, ServiceLink } from './service-link.js'

/** A plain subscription of another part (meta, acks, $SYS), with the handler for its messages. */
export interface IngestRoute {
  filter: string
  handle: (message: IncomingMessage) => void
  /** Not the messages this instance published itself (see PlannedFilter). */
  noLocal?: boolean
}

export interface IngestOptions {
  /** Not yet connected: ingest connects it with its subscriptions; its owner closes it after `close`. */
  link: ServiceLink
  /** The `$share/{group}/` that readings come through, so instances split them; 'service' by default. */
  shareGroup?: string
  dispatcher: AdapterDispatcher
  unrecognized: UnrecognizedPayloads
  /** How often counted unreadable payloads are logged, ms; 60 000 by default. */
  unrecognizedFlushMs?: number
  history: HistoryStore
  batch?: ReadingBatcherOptions
  /** What close waits for the last batch, ms, before leaving it unacknowledged; 5000 by default. */
  closeTimeoutMs?: number
  onReading: (reading: Reading) => void
  /** Each batch of readings once it is in the history (the metrics; active-active: to share the last readings). */
  onStored?: StoredListener
  onStatus: (status: DeviceStatus, retained: boolean) => void
  routes: readonly IngestRoute[]
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
}

/**
 * Ingest: subscribes per the adapters' plan (readings through the shared group, status and metadata plain,
 * each filter with its subscription identifier) plus the other parts' routes, hands each message to the
 * adapters, and writes readings to the history in batches, acknowledging each QoS 1 message only once the
 * batch holding its readings is stored. A message nobody can read is counted and logged, never more.
 */
export class Ingest {
  readonly batcher: ReadingBatcher
  private readonly routes = new Map<number, IngestRoute>()
  private readonly flushTimer: NodeJS.Timeout
  private closing = false

  constructor(private readonly options: IngestOptions) {
    const plan: PlannedFilter[] = options.dispatcher.subscriptionPlan(options.shareGroup ?? 'service')
    options.routes.forEach((route, index) => {
      const subscriptionIdentifier = plan.length + index + 1
      this.routes.set(subscriptionIdentifier, route)
      plan.push({ topic: route.filter, subscriptionIdentifier, ...(route.noLocal === true ? { noLocal: true } : {}) })
    })
    this.batcher = new ReadingBatcher(options.history, options.logger, options.batch, options.onStored)
    this.flushTimer = setInterval(() => options.unrecognized.flush(), options.unrecognizedFlushMs ?? 60_000)
    this.flushTimer.unref()
    options.link.connect({ filters: plan, onMessage: this.receive })
  }

  /**
   * Stops taking messages, and stores what is queued (waiting at most closeTimeoutMs) so that it is acknowledged
   * before the link's owner disconnects it.
   */
  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.flushTimer)
    const stored = await this.batcher.close(this.options.closeTimeoutMs ?? 5000)
    if (!stored) this.options.logger.warn('the last readings were not stored in time; the broker will deliver them again')
    this.options.unrecognized.flush()
  }

  /**
   * Takes one message from the link, or from another link on a session of the same plan (a dead peer's,
   * adopted: peers/peer-sessions.ts), whose acknowledgements then go out on that link.
   */
  readonly receive: MessageHandler = (message, deferAck) => this.onMessage(message, deferAck)

  private onMessage(message: IncomingMessage, deferAck: () => () => void): void | Promise<void> {
    if (this.closing) {
      // Never acknowledged: the broker delivers it again, to us after a restart or to another instance.
      deferAck()
      return
    }
    const route = message.subscriptionIdentifiers.map((id) => this.routes.get(id)).find((candidate) => candidate !== undefined)
    if (route !== undefined) {
      route.handle(message)
      return
    }
    const { result } = this.options.dispatcher.dispatch(message.topic, message.payload, message.receivedAt, message.subscriptionIdentifiers)
    if (result.kind === 'status') this.options.onStatus(result.status, message.retain)
    if (result.kind !== 'readings') return
    for (const reading of result.readings) this.options.onReading(reading)
    const ack = message.qos === 1 ? deferAck() : undefined
    if (!this.batcher.add(result.readings, ack)) return this.batcher.whenRoom()
  }
}
