/** A part that runs on one active-active instance at a time: the alert rules, the Sparkplug host. */
export interface LeadTaker {
  /** This instance is first among the active ones now. */
  lead(): void
  /** Another instance is first now. */
  follow(): void
}

export interface LeadTurnOptions {
  /** Who is first among the active instances, and word of each change (peers/peer-sessions.ts). */
  peers: { leads(): boolean; onChange(listener: () => void): void }
  /** Resolves once the link's subscriptions are in place: the retained announcements and alerts follow them. */
  subscribed: Promise<void>
}

/** How long after the subscriptions the retained messages may take to arrive, ms. */
const SETTLE_MS = 500

/**
 * Active-active: whether this instance leads, told to the parts that run on the leader alone as it changes. The
 * leader is the active instance with the smallest client id, the one that also adopts dead peers' sessions: every
 * instance comes to the same choice from the retained announcements, and when the leader goes (its will, or
 * `stopped`) the next one takes over at once. A starting instance leads only once the retained announcements and
 * alerts have had time to arrive: before that it would count itself first, raise again what the leader holds open
 * and claim the Sparkplug host's STATE beside it. One turn for every part, so that the instance running the
 * Sparkplug host is the one evaluating the alerts on its readings.
 */
export class LeadTurn {
  private readonly takers: LeadTaker[] = []
  private leading = false
  private closed = false
  /** Resolves once this instance knows whether it leads, and the parts that joined have been told. */
  readonly known: Promise<void>

  constructor({ peers, subscribed }: LeadTurnOptions) {
    this.known = subscribed
      .then(() => new Promise<void>((resolve) => setTimeout(resolve, SETTLE_MS).unref()))
      .then(() => {
        peers.onChange(() => this.update(peers.leads()))
        this.update(peers.leads())
      })
  }

  /** Tells `taker` of every change from now on: join before `known` resolves, as the service's parts do when made. */
  join(taker: LeadTaker): void {
    this.takers.push(taker)
  }

  /** Tells nothing more: the service is closing, and each part stops on its own. */
  close(): void {
    this.closed = true
  }

  private update(first: boolean): void {
    if (this.closed || first === this.leading) return
    this.leading = first
    for (const taker of this.takers) {
      if (first) taker.lead()
      else taker.follow()
    }
  }
}
