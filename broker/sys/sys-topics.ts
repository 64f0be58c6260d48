import { getHeapStatistics } from 'node:v8'
import { version } from '../../common/version.js'
import type { Publisher } from '../publisher.js'
import type { BrokerStats } from '../stats.js'
import { LoadAverages } from './load-averages.js'

/** What waits in the sessions: their queues and in-flight windows, summed. */
export interface Backlog {
  readonly queued: number
  /** Payload bytes of the queued messages. */
  readonly queuedBytes: number
  /** QoS 1/2 messages sent and not yet acknowledged. */
  readonly inflight: number
}

/** Where the figures come from, and where they go. */
export interface SysSources {
  readonly stats: BrokerStats
  readonly sessions: { readonly count: number }
  readonly subscriptions: { readonly count: number; readonly sharedSubscriptionCount: number }
  readonly retained: { readonly size: number; readonly bytes: number }
  readonly publisher: Pick<Publisher, 'publishSystem'>
  /** A store with a server of its own (Redis) says since when it cannot reach it. */
  readonly store?: { readonly unavailableSince?: number }
  /** Walks the sessions: called once a round. */
  backlog(): Backlog
}

/** The counters behind Mosquitto's load figures, by their name under `$SYS/broker/load/`. */
function loadCounters(stats: BrokerStats): Record<string, number> {
  return {
    connections: stats.connectsReceived,
    'bytes/received': stats.bytesReceived,
    'bytes/sent': stats.bytesSent,
    'messages/received': stats.packetsReceived,
    'messages/sent': stats.packetsSent,
    'publish/dropped': stats.messagesDropped,
    'publish/received': stats.messagesReceived,
    'publish/sent': stats.messagesSent,
    sockets: stats.socketsOpened
  }
}

/**
 * Publishes the broker's figures under `$SYS/broker/...`, retained, every `sysInterval` seconds, with the topic
 * names, meanings and formats of Mosquitto 2.0 (its mosquitto(8) manual page, BROKER STATUS), so that exporters and
 * dashboards made for Mosquitto read them unchanged. Where the manual and what Mosquitto 2.0 publishes disagree
 * (`heap/current size` in the one, `heap/current` in the other) both go out. `$SYS/broker/connection/#` (bridges)
 * waits for bridges; `store/status` is our own.
 */
export class SysTopics {
  private timer: NodeJS.Timeout | undefined
  private readonly load: LoadAverages<string>
  private lastRound = 0
  private heapMaximum = 0

  constructor(private readonly sources: SysSources) {
    this.load = new LoadAverages(loadCounters(sources.stats))
  }

  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return
    this.publishAll()
    this.timer = setInterval(() => this.publishAll(), intervalSeconds * 1000)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
  }

  private publishAll(): void {
    const now = Date.now()
    const { stats, publisher } = this.sources
    this.load.update(loadCounters(stats), this.lastRound === 0 ? 0 : (now - this.lastRound) / 1000)
    this.lastRound = now
    const figures: Array<[string, string | number]> = [
      ...this.counts(now),
      ...this.load.figures().map(([name, value]) => [`load/${name}`, value] as [string, string])
    ]
    const unavailableSince = this.sources.store?.unavailableSince
    figures.push(['store/status', unavailableSince === undefined ? 'ok' : `unreachable since ${new Date(unavailableSince).toISOString()}`])
    for (const [name, value] of figures) publisher.publishSystem(`$SYS/broker/${name}`, String(value))
  }

  private counts(now: number): Array<[string, string | number]> {
    const { stats, sessions, subscriptions, retained } = this.sources
    const backlog = this.sources.backlog()
    const heap = getHeapStatistics().used_heap_size
    this.heapMaximum = Math.max(this.heapMaximum, heap)
    const offline = Math.max(0, sessions.count - stats.clientsConnected)
    const stored = retained.size + backlog.queued
    const storedBytes = retained.bytes + backlog.queuedBytes
    return [
      ['version', `thermopost ${version}`],
      ['uptime', `${Math.floor((now - stats.startedAt) / 1000)} seconds`],
      ['bytes/received', stats.bytesReceived],
      ['bytes/sent', stats.bytesSent],
      ['clients/connected', stats.clientsConnected],
      ['clients/active', stats.clientsConnected],
      ['clients/disconnected', offline],
      ['clients/inactive', offline],
      ['clients/expired', stats.sessionsExpired],
      ['clients/maximum', stats.clientsMaximum],
      ['clients/total', sessions.count],
      ['heap/current', heap],
      ['heap/maximum', this.heapMaximum],
      ['heap/current size', heap],
      ['heap/maximum size', this.heapMaximum],
      ['messages/inflight', backlog.inflight],
      ['messages/received', stats.packetsReceived],
      ['messages/sent', stats.packetsSent],
      ['messages/stored', stored],
      ['store/messages/count', stored],
      ['store/messages/bytes', storedBytes],
      ['publish/messages/dropped', stats.messagesDropped],
      ['publish/messages/received', stats.messagesReceived],
      ['publish/messages/sent', stats.messagesSent],
      ['publish/bytes/received', stats.publishBytesReceived],
      ['publish/bytes/sent', stats.publishBytesSent],
      ['retained messages/count', retained.size],
      ['subscriptions/count', subscriptions.count],
      ['shared_subscriptions/count', subscriptions.sharedSubscriptionCount]
    ]
  }
}
