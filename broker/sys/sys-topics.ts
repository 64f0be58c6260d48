import { version } from '../../common/version.js'
import type { Publisher } from '../publisher.js'
import type { BrokerStats } from '../stats.js'

/** Where the figures come from, and where they go. */
export interface SysSources {
  readonly stats: BrokerStats
  readonly sessions: { readonly count: number }
  readonly subscriptions: { readonly count: number }
  readonly retained: { readonly size: number }
  readonly publisher: Pick<Publisher, 'publishSystem'>
  /** A store with a server of its own (Redis) says since when it cannot reach it. */
  readonly store?: { readonly unavailableSince?: number }
}

/**
 * Publishes the broker's figures under `$SYS/broker/...`, retained, every `sysInterval` seconds,
 * with Mosquitto's topic names so existing dashboards read them.
 */
export class SysTopics {
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly sources: SysSources) {}

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
    const { stats, sessions, subscriptions, retained, publisher } = this.sources
    const figures: Array<[string, string | number]> = [
      ['version', `thermopost ${version}`],
      ['uptime', `${Math.floor((Date.now() - stats.startedAt) / 1000)} seconds`],
      ['clients/connected', stats.clientsConnected],
      ['clients/total', sessions.count],
      ['messages/received', stats.messagesReceived],
      ['messages/sent', stats.messagesSent],
      ['publish/messages/dropped', stats.messagesDropped],
      ['bytes/received', stats.bytesReceived],
      ['bytes/sent', stats.bytesSent],
      ['subscriptions/count', subscriptions.count],
      ['retained messages/count', retained.size]
    ]
    const unavailableSince = this.sources.store?.unavailableSince
    figures.push(['store/status', unavailableSince === undefined ? 'ok' : `unreachable since ${new Date(unavailableSince).toISOString()}`])
    for (const [name, value] of figures) publisher.publishSystem(`$SYS/broker/${name}`, String(value))
  }
}
