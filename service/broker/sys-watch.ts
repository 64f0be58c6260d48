import type { BrokerStatus, LiveEvent } from '../api/api-types.js'
import type { BrokerWatch } from '../api/service-parts.js'

export const SYS_FILTER = '$SYS/broker/#'
const PREFIX = '$SYS/broker/'

export interface SysWatchOptions {
  emit: (event: LiveEvent) => void
  /** At most one `broker` event per this many ms; 1000 by default. The broker publishes its figures in one burst. */
  throttleMs?: number
  now?: () => number
}

/**
 * The broker's figures from its `$SYS/broker/...` topics (Mosquitto's names, broker/sys/sys-topics.ts).
 * Rates come from two successive totals of `publish/messages/received` and `publish/messages/sent` (PUBLISH
 * packets; `messages/*` count packets of every type, in Mosquitto and in ours), over the time between their
 * arrivals: the broker publishes totals, not rates.
 */
export class SysWatch implements BrokerWatch {
  private current: BrokerStatus = {}
  private readonly totals = new Map<string, { value: number; at: number }>()
  private timer: NodeJS.Timeout | undefined
  private lastEmit = -Infinity
  private readonly throttleMs: number
  private readonly now: () => number

  constructor(private readonly options: SysWatchOptions) {
    this.throttleMs = options.throttleMs ?? 1000
    this.now = options.now ?? Date.now
  }

  status(): BrokerStatus {
    return { ...this.current }
  }

  handle(topic: string, payload: Buffer): void {
    if (!topic.startsWith(PREFIX)) return
    const name = topic.slice(PREFIX.length)
    const text = payload.toString('utf8')
    const number = Number.parseFloat(text)
    const now = this.now()
    const next: BrokerStatus = { ...this.current }
    switch (name) {
      case 'version':
        next.version = text
        break
      case 'uptime':
        if (Number.isFinite(number)) next.uptimeSeconds = number
        break
      case 'clients/connected':
        if (Number.isFinite(number)) next.clientsConnected = number
        break
      case 'retained messages/count':
        if (Number.isFinite(number)) next.retainedMessages = number
        break
      case 'publish/messages/received': {
        const rate = this.rate(name, number, now)
        if (rate !== undefined) next.messagesReceivedPerSecond = rate
        break
      }
      case 'publish/messages/sent': {
        const rate = this.rate(name, number, now)
        if (rate !== undefined) next.messagesSentPerSecond = rate
        break
      }
      default:
        return
    }
    next.updatedAt = now
    this.current = next
    this.schedule(now)
  }

  close(): void {
    clearTimeout(this.timer)
  }

  private rate(name: string, value: number, now: number): number | undefined {
    if (!Number.isFinite(value)) return undefined
    const previous = this.totals.get(name)
    this.totals.set(name, { value, at: now })
    // A broker restart starts its totals again from 0: no rate from that pair.
    if (previous === undefined || now <= previous.at || value < previous.value) return undefined
    return ((value - previous.value) * 1000) / (now - previous.at)
  }

  private schedule(now: number): void {
    if (this.timer !== undefined) return
    const wait = Math.max(0, this.lastEmit + this.throttleMs - now)
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.lastEmit = this.now()
      this.options.emit({ type: 'broker', broker: this.status() })
    }, wait)
    this.timer.unref()
  }
}
