/**
 * Where a session's deliveries came from, kept with the session (cluster, issue 16). A cluster node delivers the
 * messages of its inbound stream into sessions and acknowledges the stream entry once those deliveries are durable;
 * a node that dies in between leaves the entry to the member recovering it, which would deliver it a second time.
 * So each session write made while delivering an entry also records, in the same atomic step as the write, the entry
 * it came from; the recovering member skips the entries a session already has (QoS 2 stays exactly once).
 */
export interface DeliverySources {
  /** The session writes made from now on deliver entry `id` of `stream`, until called with `undefined`. */
  deliveringFrom(source: { readonly stream: string; readonly id: string } | undefined): void
  /** The last entry of `stream` each of `clientIds` has deliveries from (none: absent from the map). */
  deliveredFrom(stream: string, clientIds: Iterable<string>): Promise<Map<string, string>>
  /** `stream` was drained into these sessions and is gone: its record goes. */
  forgetSource(stream: string, clientIds: Iterable<string>): void
}

/** Whether stream entry id `a` comes after `b` (ids are `<milliseconds>-<sequence>`). */
export function streamIdAfter(a: string, b: string): boolean {
  const [aTime, aSeq] = a.split('-').map(Number)
  const [bTime, bSeq] = b.split('-').map(Number)
  return aTime !== bTime ? aTime > bTime : aSeq > bSeq
}
