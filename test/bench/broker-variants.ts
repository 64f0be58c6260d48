/**
 * The broker variants a scenario may name (see `Scenario.brokers`). Each peer runs as its users run it:
 * its own defaults, plus only the queue limits without which it would drop messages (brokers.ts states
 * them). Where a default helps one scenario and hurts another (Nagle's algorithm: batching small writes
 * raises throughput and adds delay), the peer runs both ways and the summary compares against its
 * better variant in each scenario.
 * - thermopost: the default durable SQLite store, in a fresh temporary --data-dir per run;
 * - thermopost-memory: `--store memory`, nothing written to disk. Both set TCP_NODELAY on every socket
 *   (broker/listeners/tcp.ts, broker/connection.ts) and have no setting to turn it off, so they run one way;
 * - mosquitto: no persistence, Nagle on (its default); mosquitto-nodelay: `set_tcp_nodelay true`;
 * - mosquitto-persist: `persistence true` in a fresh temporary directory and no queue limit. Mosquitto
 *   keeps everything in memory and writes its database only at autosave (every 30 min by default)
 *   and at exit: it never fsyncs a message before acknowledging it; mosquitto-persist-nodelay: the same
 *   with `set_tcp_nodelay true`;
 * - aedes: its default in-memory persistence on a plain `net.createServer` (Nagle on, Node's default);
 *   aedes-nodelay: `createServer({ noDelay: true })`.
 */
export type BrokerName =
  | 'thermopost'
  | 'thermopost-memory'
  | 'mosquitto'
  | 'mosquitto-nodelay'
  | 'mosquitto-persist'
  | 'mosquitto-persist-nodelay'
  | 'aedes'
  | 'aedes-nodelay'

export const BROKER_NAMES: readonly BrokerName[] = [
  'thermopost',
  'thermopost-memory',
  'mosquitto',
  'mosquitto-nodelay',
  'mosquitto-persist',
  'mosquitto-persist-nodelay',
  'aedes',
  'aedes-nodelay'
]

const NODELAY_SUFFIX = '-nodelay'

/** The peer a variant belongs to: its name without `-nodelay`. Variants of one peer are compared as one. */
export function peerOf(broker: BrokerName): string {
  return broker.endsWith(NODELAY_SUFFIX) ? broker.slice(0, -NODELAY_SUFFIX.length) : broker
}

/** True for the variants that disable Nagle's algorithm where the peer's default leaves it on. */
export function isNoDelayVariant(broker: BrokerName): boolean {
  return broker.endsWith(NODELAY_SUFFIX)
}
