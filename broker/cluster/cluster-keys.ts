import { randomBytes } from 'node:crypto'

/**
 * Where the cluster keeps what in Redis, under the store's key prefix. Every key and channel carries the hash tag
 * `{cluster}`, so a Redis Cluster keeps them in one slot: a Lua script or MULTI may touch several of them.
 *
 * A member is one run of a node: `<node id>@<incarnation>`, the incarnation new at every start. Filters, streams and
 * session leases belong to a member, not to a node id: a node restarted under its id is a new member, and what its
 * previous run held (sessions, messages in its stream) is recovered like any dead member's, never mistaken for the
 * new run's.
 *   tp:{cluster}:nodes               hash     member -> when it joined; members not yet recovered
 *   tp:{cluster}:node:<id>           string   the incarnation of the node's running member, with a short time-to-live
 *   tp:{cluster}:recovery:<member>   string   who recovers that dead member (recovery-claims.ts)
 *   tp:{cluster}:filters:<member>    set      the member's filters; a shared group as `$share/{group}/{filter}`
 *   tp:{cluster}:stream:<member>     stream   messages forwarded to the member (forwarded-codec.ts), group `nodes`
 *   tp:{cluster}:moved:<member>      string   once a dead member's stream is drained and gone: its recoverer's member
 *   tp:{cluster}:handovers:<member> hash   client id -> a session the member let go lately (handover-records.ts)
 *   tp:{cluster}:bridge:<name>       string   the member running that bridge, with a short time-to-live (bridge-leases.ts)
 * Channels (sharded pub/sub: SPUBLISH, SSUBSCRIBE):
 *   tp:{cluster}:filter-changes      `<member>\n+<entry>`, `<member>\n-<entry>`, or `<member>\n!` (read its set again)
 *   tp:{cluster}:control:<id>        requests to the node and their answers (node-membership.ts)
 *   tp:{cluster}:departures          `<node>` of a node leaving cleanly: the others look at its liveness at once
 */
export class ClusterKeys {
  constructor(readonly prefix: string) {}

  get nodes(): string {
    return this.key('nodes')
  }

  get filterChanges(): string {
    return this.key('filter-changes')
  }

  get departures(): string {
    return this.key('departures')
  }

  liveness(nodeId: string): string {
    return this.key(`node:${nodeId}`)
  }

  recovery(member: string): string {
    return this.key(`recovery:${member}`)
  }

  filters(member: string): string {
    return this.key(`filters:${member}`)
  }

  stream(member: string): string {
    return this.key(`stream:${member}`)
  }

  moved(member: string): string {
    return this.key(`moved:${member}`)
  }

  handovers(member: string): string {
    return this.key(`handovers:${member}`)
  }

  bridge(name: string): string {
    return this.key(`bridge:${name}`)
  }

  control(nodeId: string): string {
    return this.key(`control:${nodeId}`)
  }

  private key(part: string): string {
    return `${this.prefix}tp:{cluster}:${part}`
  }
}

/** The consumer group every node stream is read through (one consumer: the node it belongs to, or its recoverer). */
export const STREAM_GROUP = 'nodes'

/** A node id: safe inside key names and the `<member>\n...` notes (no `@`), and short enough to read in logs. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

/** The member for a node id and incarnation. */
export function memberOf(nodeId: string, incarnation: string): string {
  return `${nodeId}@${incarnation}`
}

/** The node id of a member (a bare node id is its own). */
export function nodeOfMember(member: string): string {
  const at = member.lastIndexOf('@')
  return at < 0 ? member : member.slice(0, at)
}

/** A new incarnation: time-ordered for people reading keys, random so two starts in one millisecond differ. */
export function newIncarnation(): string {
  return `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
}
