import { topicMatchesFilter } from '../../common/topic-filter.js'
import type { FilterListener } from '../router/message-router.js'

/** A session this node let go to another node, whose messages it still passes on. */
interface Handover {
  readonly toNode: string
  readonly filters: readonly string[]
  readonly timer: NodeJS.Timeout
}

/** Longer than the filter directory's full re-read (3 s), with room for a missed note and a reconnect. */
export const RELAY_GRACE_MS = 10_000

const NO_RELAYS: ReadonlyArray<readonly [string, string]> = []

/**
 * Moving a live session to another node without losing what is published meanwhile (issue 16). When this node lets
 * a session go (the node taking it over asked), the other nodes' filter directories still point here for a while:
 * the new holder announces the session's filters only once it has restored it, and the note reaches each node on
 * its own time (or at the next full read). A message routed here in that window finds no session. So for
 * RELAY_GRACE_MS this node keeps the session's filters registered and relays every message matching them to the new
 * holder, for that client id only.
 *
 * Why this and not "announce first, then release": the announcement reaches the publishing nodes asynchronously,
 * so some would still route to the old holder after it let go; only the old holder sees every such message.
 *
 * Every matching message is relayed, even one the new holder got routed live: whether the filters that drew it there
 * were the session's own (restored, it had it), another session's there, or ones kept from relaying this same session
 * (going back and forth), only the new holder can tell. Each copy carries the message's identity, and the new holder
 * gives each message to the session once, relayed or live, and records what it gave with the session, so neither a
 * later holder nor a drain after a crash gives it again (cluster-router.ts, recovery-overlap.ts,
 * store/delivery-sources.ts).
 *
 * Filters: this listener stands between the Router and the directory, so a filter the Router no longer holds stays
 * registered while a handover still relays it, and goes once neither does.
 */
export class SessionRelay implements FilterListener {
  private readonly handovers = new Map<string, Handover>()
  /** Filters the Router holds. */
  private readonly routed = new Set<string>()
  /** Filters kept for handovers, with how many handovers keep each. */
  private readonly kept = new Map<string, number>()

  constructor(
    private readonly directory: Required<FilterListener>,
    private readonly graceMs = RELAY_GRACE_MS
  ) {}

  announced(): Promise<void> | undefined {
    return this.directory.announced()
  }

  filterAdded(filter: string): void {
    this.routed.add(filter)
    this.directory.filterAdded(filter)
  }

  filterRemoved(filter: string): void {
    this.routed.delete(filter)
    if (!this.kept.has(filter)) this.directory.filterRemoved(filter)
  }

  groupAdded(group: string, filter: string): void {
    this.directory.groupAdded(group, filter)
  }

  groupRemoved(group: string, filter: string): void {
    this.directory.groupRemoved(group, filter)
  }

  /** `clientId`, with plain subscriptions to `filters`, goes to `toNode`: relay its messages there for a while. */
  handingOver(clientId: string, filters: readonly string[], toNode: string): void {
    this.stop(clientId)
    for (const filter of filters) this.kept.set(filter, (this.kept.get(filter) ?? 0) + 1)
    const timer = setTimeout(() => this.stop(clientId), this.graceMs)
    timer.unref()
    this.handovers.set(clientId, { toNode, filters, timer })
  }

  /** Stops relaying `clientId` (its grace is over, or it comes back here). */
  stop(clientId: string): void {
    const handover = this.handovers.get(clientId)
    if (handover === undefined) return
    clearTimeout(handover.timer)
    this.handovers.delete(clientId)
    for (const filter of handover.filters) {
      const count = (this.kept.get(filter) ?? 1) - 1
      if (count > 0) this.kept.set(filter, count)
      else {
        this.kept.delete(filter)
        if (!this.routed.has(filter)) this.directory.filterRemoved(filter)
      }
    }
  }

  /**
   * Where to relay a message on `topic` that reached this node's plain subscriptions of `clients` (all, or those
   * given): each handed-over client with a matching filter and its new node.
   */
  relaysFor(topic: string, clients: 'all' | ReadonlySet<string>): ReadonlyArray<readonly [string, string]> {
    if (this.handovers.size === 0) return NO_RELAYS // every routed message asks: no array made for it
    const relays: Array<[string, string]> = []
    for (const [clientId, { toNode, filters }] of this.handovers) {
      if (clients !== 'all' && !clients.has(clientId)) continue
      if (filters.some((filter) => topicMatchesFilter(topic, filter))) relays.push([clientId, toNode])
    }
    return relays
  }
}
