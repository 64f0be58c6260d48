import type { Logger } from 'pino'
import type { SetpointWriter } from '../commands/command-tracker.js'
import type { LeadTaker, LeadTurn } from '../peers/lead-turn.js'
import { ServiceError } from '../service-error.js'
import type { SparkplugHost } from './sparkplug-host.js'

export interface SparkplugHostSeatOptions {
  /** Makes and connects a host application. */
  startHost: () => SparkplugHost
  /** Active-active: the host runs only while this instance leads (peers/lead-turn.ts). Absent: it always runs (one instance). */
  turn?: LeadTurn
  logger: Pick<Logger, 'info'>
}

/**
 * The one Sparkplug primary host application of a host id among the service's instances. Sparkplug has one STATE
 * topic per host id, so two instances each running the host would each claim it, each ask for rebirths, and store
 * every reading twice. Active-active instances already agree on one of them without a vote of their own (the
 * active one with the smallest client id, as for adopting a dead one's session): that one runs the host. When it
 * goes, its host's will says offline and the next one in line starts a host, whose birth STATE says online again;
 * the edge nodes, seen anew, are asked for their births. When an instance with a smaller id comes (back), the one
 * running the host stops it at once, and the newcomer starts its own once it has heard the others.
 */
export class SparkplugHostSeat implements SetpointWriter, LeadTaker {
  private host: SparkplugHost | undefined
  /** Resolves once this instance knows whether it runs the host and, if it does, the host is online. */
  readonly ready: Promise<void>

  constructor(private readonly options: SparkplugHostSeatOptions) {
    const { turn } = options
    if (turn === undefined) {
      this.host = options.startHost()
      this.ready = this.host.ready
      return
    }
    turn.join(this)
    this.ready = turn.known.then(() => this.host?.ready)
  }

  /** This instance runs the host application now. */
  get running(): boolean {
    return this.host !== undefined
  }

  /**
   * Through the host when it runs here. Active-active, when another instance runs it, nothing is written here:
   * the command is shared with the instances before it is written, and the one running the host writes it.
   */
  async writeSetpoint(site: string, device: string, value: number): Promise<void> {
    if (this.host !== undefined) await this.host.writeSetpoint(site, device, value)
    else if (this.options.turn === undefined) throw new ServiceError('broker-unavailable', 'the Sparkplug host application has stopped')
  }

  writesForOthers(): boolean {
    return this.options.turn !== undefined && this.host !== undefined
  }

  lead(): void {
    this.options.logger.info('this instance runs the Sparkplug host application')
    this.host = this.options.startHost()
  }

  follow(): void {
    this.options.logger.info('another instance runs the Sparkplug host application now: stopping this one')
    void this.close()
  }

  /** Stops the host; active-active, once the turn is closed, so that it does not start again. */
  async close(): Promise<void> {
    const host = this.host
    this.host = undefined
    await host?.close()
  }
}
