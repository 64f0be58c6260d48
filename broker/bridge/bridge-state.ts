import type { BridgeHost } from './bridge-host.js'

/**
 * A bridge's figures, published under `$SYS/broker/bridges/<name>/`, retained: `state` (connected or
 * disconnected, at once when it changes, as Mosquitto's bridge notifications are), and with the broker's other
 * $SYS figures the queue depth and the counters.
 */
export class BridgeState {
  connected = false
  /** Messages sent to the remote and acknowledged by it (QoS 0: written). */
  forwardedOut = 0
  /** Messages from the remote published here. */
  forwardedIn = 0
  /** Messages dropped: the queue past its limits, or refused by the remote. */
  dropped = 0
  /** Messages not forwarded because they had been through this broker before (a loop). */
  loopsStopped = 0
  private readonly root: string

  constructor(
    name: string,
    private readonly publisher: BridgeHost['publisher'],
    private readonly queueDepth: () => number
  ) {
    this.root = `$SYS/broker/bridges/${name}`
  }

  setConnected(connected: boolean): void {
    if (connected === this.connected) return
    this.connected = connected
    this.publishState()
  }

  publishState(): void {
    this.publisher.publishSystem(`${this.root}/state`, this.connected ? 'connected' : 'disconnected')
  }

  publishFigures(): void {
    const figures: Array<[string, number]> = [
      ['queue/depth', this.queueDepth()],
      ['messages/out', this.forwardedOut],
      ['messages/in', this.forwardedIn],
      ['messages/dropped', this.dropped],
      ['messages/loops', this.loopsStopped]
    ]
    for (const [name, value] of figures) this.publisher.publishSystem(`${this.root}/${name}`, String(value))
  }
}
