/**
 * Where a session's deliveries came from, kept with the session (cluster, issue 16). A cluster node delivers the
 * messages of its inbound stream into sessions and acknowledges the stream entry once those deliveries are durable;
 * a node that dies in between leaves the entry to the member recovering it, which would deliver it a second time.
 * So each session write made while delivering an entry also records, in the same atomic step as the write, the entry
 * it came from; the recovering member skips the entries a session already has (QoS 2 stays exactly once).
 *
 * Entry positions cannot tell two copies of one message apart: while a session moves between nodes, the same message
 * can reach it in two entries (relayed by its old holder and routed to it live: session-relay.ts), or in a dead
 * member's stream and live. So while a session is new on its node, its writes also record the identity of the
 * message they deliver (cluster/forwarded-codec.ts `messageIdentity`), kept for SEEN_KEPT_MS; the next node to hold
 * the session, or to drain a stream into it, gives it no copy of those.
 */
export interface DeliverySources {
  /** The session writes made from now on deliver entry `id` of `stream`, until called with `undefined`. */
  deliveringFrom(source: { readonly stream: string; readonly id: string } | undefined): void
  /**
   * The session writes made from now on deliver the message `identity`, until called with `undefined`; those of the
   * sessions `recordsFor` accepts record it with the session, in the same atomic step.
   */
  deliveringMessage(identity: string | undefined, recordsFor?: (clientId: string) => boolean): void
  /** The last entry of `stream` each of `clientIds` has deliveries from (none: absent from the map). */
  deliveredFrom(stream: string, clientIds: Iterable<string>): Promise<Map<string, string>>
  /** The identities of the messages each of `clientIds` recorded within SEEN_KEPT_MS (none: absent). */
  deliveredMessages(clientIds: Iterable<string>): Promise<Map<string, string[]>>
  /** `stream` was drained into these sessions and is gone: its record goes. */
  forgetSource(stream: string, clientIds: Iterable<string>): void
}

/**
 * How long a message identity stays recorded with a session: well past the time a copy of it can still come (a
 * relay's grace, a recovery's window: cluster/recovery-overlap.ts), so a later copy finds it.
 */
export const SEEN_KEPT_MS = 60_000

/** Whether stream entry id `a` comes after `b` (ids are `<milliseconds>-<sequence>`). */
export function streamIdAfter(a: string, b: string): boolean {
  const [aTime, aSeq] = a.split('-').map(Number)
  const [bTime, bSeq] = b.split('-').map(Number)
  return aTime !== bTime ? aTime > bTime : aSeq > bSeq
}
