import type { Logger } from 'pino'

export interface AlertLeadershipOptions {
  /** Who is first among the active instances, and word of each change (peers/peer-sessions.ts). */
  peers: { leads(): boolean; onChange(listener: () => void): void }
  /** The alert monitor: evaluates its rules only while it leads. */
  alerts: { lead(): void; follow(): void }
  /** Every reading, for the leader alone (ingest/reading-feed.ts). */
  feed: { start(): void; stop(): Promise<void> }
  /** Resolves once the link's subscriptions are in place: the retained announcements and alerts follow them. */
  subscribed: Promise<void>
  /** How long after `subscribed` the retained messages may take to arrive, ms; 500 by default. */
  settleMs?: number
  logger: Pick<Logger, 'info'>
}

/**
 * Active-active: which instance evaluates the alert rules. Each instance sees only its share of the readings,
 * so a duration or a silence would be judged on half of them; one instance evaluates, on every reading (its
 * own feed), and the others list what it shares. The leader is the active instance with the smallest client
 * id, the one that also adopts dead peers' sessions: every instance comes to the same choice from the
 * retained announcements, and when the leader goes (its will, or `stopped`) the next one takes over at once.
 * A starting instance leads only once the retained announcements and alerts have had time to arrive: before
 * that it would count itself first and raise again what the leader holds open.
 */
export class AlertLeadership {
  private leading = false
  private settled = false
  private closed = false

  constructor(private readonly options: AlertLeadershipOptions) {
    options.peers.onChange(() => this.update())
    void options.subscribed
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, options.settleMs ?? 500).unref()))
      .then(() => {
        this.settled = true
        this.update()
      })
  }

  /** Stops leading (the feed disconnects); the others take over once this instance's announcement says so. */
  async close(): Promise<void> {
    this.closed = true
    if (!this.leading) return
    this.leading = false
    this.options.alerts.follow()
    await this.options.feed.stop()
  }

  private update(): void {
    if (!this.settled || this.closed) return
    const first = this.options.peers.leads()
    if (first === this.leading) return
    this.leading = first
    const { alerts, feed, logger } = this.options
    if (first) {
      logger.info('leading the alerts: this instance evaluates the alert rules on every reading')
      alerts.lead()
      feed.start()
    } else {
      logger.info('another instance leads the alerts now')
      alerts.follow()
      void feed.stop()
    }
  }
}
