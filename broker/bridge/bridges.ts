import { Bridge } from './bridge.js'
import type { BridgeHost } from './bridge-host.js'
import { hasBeenThrough } from './bridge-path.js'
import type { BridgePlacement } from './bridge-placement.js'
import type { BridgeSettings } from './bridge-settings.js'

/**
 * The bridges of one broker, started once it has restored its state (a bridge resumes its session from it) and
 * stopped before it closes. `node` names this broker in the bridge path of what it forwards; a message that
 * names it already is turned away at the door (bridge-path.ts).
 */
export class Bridges {
  private readonly bridges: Bridge[]
  /** The bridges started on this broker (on a cluster node, those it holds). */
  private readonly running = new Set<Bridge>()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

  constructor(
    private readonly host: BridgeHost,
    settings: readonly BridgeSettings[],
    node: string
  ) {
    this.bridges = settings.map((one) => new Bridge(host, one, node))
    host.publisher.admitOnly((message) => !hasBeenThrough(message, node))
  }

  /** Starts the bridges this broker runs; on a cluster node, each once this node holds it (bridge-placement.ts). */
  async start(): Promise<void> {
    const placement = this.host.placement
    for (const bridge of this.bridges) {
      if (placement === undefined) await this.startHere(bridge)
      else void this.startWhenHeld(bridge, placement)
    }
    const interval = this.host.sysInterval
    if (interval <= 0) return
    this.publishFigures()
    this.timer = setInterval(() => this.publishFigures(), interval * 1000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await Promise.all([...this.running].map((bridge) => this.stopHere(bridge)))
  }

  private async startHere(bridge: Bridge): Promise<void> {
    this.running.add(bridge)
    await bridge.start()
  }

  private async stopHere(bridge: Bridge): Promise<void> {
    this.running.delete(bridge)
    await bridge.stop()
    await this.host.placement?.release(bridge.settings.name)
  }

  /**
   * Waits until this node holds the bridge, then runs it. Taken over by another node while it runs here (this one
   * was away past its liveness: the cluster has moved on without it, node-membership.ts), it stops here.
   */
  private async startWhenHeld(bridge: Bridge, placement: BridgePlacement): Promise<void> {
    const { name } = bridge.settings
    const lost = (): void => {
      this.host.logger.error({ bridge: name }, `bridge ${name}: another node took it over; stopped here`)
      void bridge.stop()
      this.running.delete(bridge)
    }
    if (!(await placement.hold(name, lost))) return
    if (this.stopped) {
      await placement.release(name) // taken as the broker stopped
      return
    }
    this.host.logger.info({ bridge: name }, `bridge ${name}: runs on this node of the cluster`)
    await this.startHere(bridge).catch((error: unknown) =>
      this.host.logger.error({ bridge: name, err: error }, `bridge ${name}: could not start`)
    )
  }

  /** Each bridge's state, by name (for the admin API and metrics, and tests). */
  states(): Map<string, Bridge['state']> {
    return new Map(this.bridges.map((bridge) => [bridge.settings.name, bridge.state]))
  }

  private publishFigures(): void {
    for (const bridge of this.bridges) bridge.state.publishFigures()
  }
}
