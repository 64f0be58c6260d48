import type { Logger } from 'pino'
import type { LeadTaker, LeadTurn } from './lead-turn.js'

export interface AlertLeadershipOptions {
  /** Whether this instance leads, once it has heard the others (peers/lead-turn.ts). */
  turn: LeadTurn
  /** The alert monitor: evaluates its rules only while it leads. */
  alerts: { lead(): void; follow(): void }
  /** Every reading, for the leader alone (ingest/reading-feed.ts). */
  feed: { start(): void; stop(): Promise<void> }
  logger: Pick<Logger, 'info'>
}

/**
 * Active-active: which instance evaluates the alert rules. Each instance sees only its share of the readings,
 * so a duration or a silence would be judged on half of them; one instance, the leader, evaluates, on every
 * reading (its own feed), and the others list what it shares.
 */
export class AlertLeadership implements LeadTaker {
  constructor(private readonly options: AlertLeadershipOptions) {
    options.turn.join(this)
  }

  lead(): void {
    this.options.logger.info('leading the alerts: this instance evaluates the alert rules on every reading')
    this.options.alerts.lead()
    this.options.feed.start()
  }

  follow(): void {
    this.options.logger.info('another instance leads the alerts now')
    this.options.alerts.follow()
    void this.options.feed.stop()
  }

  /** Stops leading (the feed disconnects) once the turn is closed; the others take over once this instance's announcement says so. */
  async close(): Promise<void> {
    this.options.alerts.follow()
    await this.options.feed.stop()
  }
}
