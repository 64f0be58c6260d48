import type { ForwardedMessage } from './forwarded-codec.js'
import type { HandedOver } from './handover-records.js'

/** Where the messages read from a stream go on this node. */
export interface ForwardedSink {
  /**
   * Delivers them here; with `onlyClients` (a dead member's stream), to those sessions' plain subscriptions only, and
   * what matches the filters of the sessions it had let go lately (`handedOver`) on to wherever those are now.
   */
  deliverForwarded(records: readonly ForwardedMessage[], onlyClients?: ReadonlySet<string>, handedOver?: HandedOver): void
  /** Resolves once what was delivered is durable (the store's flush): only then is an entry acknowledged. */
  durable(): Promise<void>
  /**
   * After an entry was delivered: what the sessions it filled past their high mark (backlog-gate.ts) ask the reader
   * to wait for before the next, as a publisher on this node would be held. Cross-node, nothing else slows a burst
   * down: a connected subscriber's queue would fill to its limit and drop the rest.
   */
  held(): Promise<void> | undefined
  /**
   * After an entry was delivered: what it left held in memory for sessions on their way here, resolved once those
   * went to them. Only then (and `durable`) is the entry acknowledged, so a crash meanwhile leaves it to the recovery.
   */
  holding(): Promise<void> | undefined
  /** Before a drain: the messages each session it delivers to had already (`DeliverySources.deliveredMessages`). */
  had(delivered: ReadonlyMap<string, readonly string[]>): void
}

/** The sessions this member adopted from each dead member it recovered: where entries redirected from its stream go. */
export interface AdoptedSessions {
  /** Undefined: this member recovered no such member. */
  adoptedFrom(deadMember: string): ReadonlySet<string> | undefined
  /** The sessions a dead member this member recovered had let go lately; undefined: none. */
  handedOverFrom(deadMember: string): HandedOver | undefined
}
