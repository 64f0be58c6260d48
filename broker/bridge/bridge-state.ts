import type { BridgeHost } from './bridge-host.js'

/** Why a bridge did not forward a message: its queue past the limits, the remote refused it, or it had come from there (a loop). */
export const bridgeDropReasons = ['queue_full', 'refused', 'loop'] as const
export type BridgeDropReason = (typeof bridgeDropReasons)[number]

/** What waits for the remote: messages, and their payload bytes. */
export interface BridgeQueueDepth {
  messages: number
  bytes: number
}

/**
 * A bridge's figures, published under `$SYS/broker/bridges/<name>/`, retained: `state` (connected or
 * disconnected, at once when it changes, as Mosquitto's bridge notifications are), and with the broker's other
 * $SYS figures the queue depth and the counters. The admin API and the metrics read the same figures.
 */
export class BridgeState {
  /** The remote's address of the link up now, or of the last one; undefined until the first link. */
  address: string | undefined
  /** When the link up now came up (ms since the epoch); undefined while the link is down. */
  connectedSince: number | undefined
  /** Links made after the first one: each time the remote came back. */
  reconnects = 0
  /** Messages sent to the remote and acknowledged by it (QoS 0: written). */
  forwardedOut = 0
  /** Messages from the remote published here. */
  forwardedIn = 0
  readonly droppedBy: Record<BridgeDropReason, number> = { queue_full: 0, refused: 0, loop: 0 }
  private readonly root: string

  constructor(
    readonly name: string,
    private readonly publisher: BridgeHost['publisher'],
    private readonly depth: () => BridgeQueueDepth
  ) {
    this.root = `$SYS/broker/bridges/${name}`
  }

  /** Messages dropped: the queue past its limits, or refused by the remote (a loop stopped is counted apart). */
  get dropped(): number {
    return this.droppedBy.queue_full + this.droppedBy.refused
  }

  /** Messages not forwarded because they had been through this broker before (a loop). */
  get loopsStopped(): number {
    return this.droppedBy.loop
  }

  get queueDepth(): BridgeQueueDepth {
    return this.depth()
  }

  get connected(): boolean {
    return this.connectedSince !== undefined
  }

  /** The link came up to `address`. */
  linkUp(address: string): void {
    const wasUp = this.connected
    if (this.address !== undefined) this.reconnects++
    this.address = address
    this.connectedSince = Date.now()
    if (!wasUp) this.publishState()
  }

  linkDown(): void {
    if (!this.connected) return
    this.connectedSince = undefined
    this.publishState()
  }

  publishState(): void {
    this.publisher.publishSystem(`${this.root}/state`, this.connected ? 'connected' : 'disconnected')
  }

  publishFigures(): void {
    const figures: Array<[string, number]> = [
      ['queue/depth', this.queueDepth.messages],
      ['messages/out', this.forwardedOut],
      ['messages/in', this.forwardedIn],
      ['messages/dropped', this.dropped],
      ['messages/loops', this.loopsStopped]
    ]
    for (const [name, value] of figures) this.publisher.publishSystem(`${this.root}/${name}`, String(value))
  }
}
