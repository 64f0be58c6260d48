/**
 * Where the cluster keeps what in Redis, under the store's key prefix. Every key and channel carries the hash tag
 * `{cluster}`, so a Redis Cluster keeps them in one slot: a Lua script or MULTI may touch several of them.
 *   tp:{cluster}:nodes               hash     node id -> incarnation (a token new at every start)
 *   tp:{cluster}:node:<id>           string   the node's incarnation, with a short time-to-live (liveness)
 *   tp:{cluster}:recovery:<id>:<inc> string   who recovers that incarnation of a dead node (SET NX)
 *   tp:{cluster}:filters:<id>        set      the node's filters; a shared group as `$share/{group}/{filter}`
 *   tp:{cluster}:stream:<id>         stream   messages forwarded to the node (forwarded-codec.ts), group `nodes`
 * Channels (sharded pub/sub: SPUBLISH, SSUBSCRIBE):
 *   tp:{cluster}:filter-changes      `<node>\n+<entry>`, `<node>\n-<entry>`, or `<node>\n!` (read its set again)
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

  recovery(nodeId: string, incarnation: string): string {
    return this.key(`recovery:${nodeId}:${incarnation}`)
  }

  filters(nodeId: string): string {
    return this.key(`filters:${nodeId}`)
  }

  stream(nodeId: string): string {
    return this.key(`stream:${nodeId}`)
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

/** A node id: safe inside key names and the `<node>\n...` notes, and short enough to read in logs. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/
