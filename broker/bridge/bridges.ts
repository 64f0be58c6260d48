import { Bridge } from './bridge.js'
import type { BridgeHost } from './bridge-host.js'
import { hasBeenThrough } from './bridge-path.js'
import type { BridgeSettings } from './bridge-settings.js'

/**
 * The bridges of one broker, started once it has restored its state (a bridge resumes its session from it) and
 * stopped before it closes. `node` names this broker in the bridge path of what it forwards; a message that
 * names it already is turned away at the door (bridge-path.ts).
 */
export class Bridges {
  private readonly bridges: Bridge[]
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly host: BridgeHost,
    settings: readonly BridgeSettings[],
    node: string
  ) {
    this.bridges = settings.map((one) => new Bridge(host, one, node))
    host.publisher.admitOnly((message) => !hasBeenThrough(message, node))
  }

  async start(): Promise<void> {
    for (const bridge of this.bridges) await bridge.start()
    const interval = this.host.sysInterval
    if (interval <= 0) return
    this.publishFigures()
    this.timer = setInterval(() => this.publishFigures(), interval * 1000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await Promise.all(this.bridges.map((bridge) => bridge.stop()))
  }

  /** Each bridge's state, by name (for the admin API and metrics, and tests). */
  states(): Map<string, Bridge['state']> {
    return new Map(this.bridges.map((bridge) => [bridge.settings.name, bridge.state]))
  }

  private publishFigures(): void {
    for (const bridge of this.bridges) bridge.state.publishFigures()
  }
}
