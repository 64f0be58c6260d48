import { version } from '../../common/version.js'
import type { Broker } from '../broker.js'

/**
 * Publishes the broker's figures under `$SYS/broker/...`, retained, every `sysInterval` seconds,
 * with Mosquitto's topic names so existing dashboards read them.
 */
export class SysTopics {
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly broker: Broker) {}

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
    const { stats } = this.broker
    const figures: Array<[string, string | number]> = [
      ['version', `thermopost ${version}`],
      ['uptime', `${Math.floor((Date.now() - stats.startedAt) / 1000)} seconds`],
      ['clients/connected', stats.clientsConnected],
      ['clients/total', this.broker.sessionCount],
      ['messages/received', stats.messagesReceived],
      ['messages/sent', stats.messagesSent],
      ['publish/messages/dropped', stats.messagesDropped],
      ['bytes/received', stats.bytesReceived],
      ['bytes/sent', stats.bytesSent],
      ['subscriptions/count', this.broker.router.count],
      ['retained messages/count', this.broker.retained.size]
    ]
    for (const [name, value] of figures) this.broker.publishSystem(`$SYS/broker/${name}`, String(value))
  }
}
