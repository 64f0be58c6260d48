import type { QoS } from 'mqtt-packet'

/** Which way a bridged topic goes: `out` from this broker to the remote, `in` from the remote to this broker. */
export type BridgeDirection = 'in' | 'out' | 'both'

/**
 * One topic of a bridge, with Mosquitto's meaning of the prefixes: the local filter is `localPrefix + pattern`,
 * the remote one `remotePrefix + pattern`, and a forwarded topic trades the one prefix for the other.
 */
export interface BridgeTopic {
  readonly pattern: string
  readonly direction: BridgeDirection
  /** The highest QoS a message crosses at (the lower of this and its own). */
  readonly qos: QoS
  readonly localPrefix: string
  readonly remotePrefix: string
}

/** The TLS material of an mqtts:// or wss:// remote, read from the config's files at start. */
export interface BridgeTls {
  readonly ca: Buffer | undefined
  readonly cert: Buffer | undefined
  readonly key: Buffer | undefined
  /** Accept a remote whose certificate does not verify (refused unless the config says `insecure: true`). */
  readonly insecure: boolean
}

/** One bridge, as the config resolves it (config/bridges.ts). Durations are seconds. */
export interface BridgeSettings {
  /** Names the bridge in logs, in `$SYS/broker/bridges/<name>/...` and in its local session `$bridge/<name>`. */
  readonly name: string
  /** The remote's URLs (mqtt, mqtts, ws, wss), tried in turn: the next one after each failure. */
  readonly addresses: readonly string[]
  readonly protocolVersion: 4 | 5
  /** Our client id at the remote. */
  readonly clientId: string
  /** Start a new session at the remote on each connection; false keeps one (our subscriptions and its queue there). */
  readonly cleanStart: boolean
  readonly username: string | undefined
  readonly password: string | undefined
  readonly tls: BridgeTls
  readonly keepalive: number
  /** The first wait before connecting again; each failure in a row doubles it, up to `restartDelayMax`, with jitter. */
  readonly restartDelay: number
  readonly restartDelayMax: number
  /** Messages waiting for the remote at most (QoS 1/2, in the durable store); past it the oldest are dropped. */
  readonly queueMaxMessages: number
  /** Payload bytes waiting for the remote at most. */
  readonly queueMaxBytes: number
  readonly topics: readonly BridgeTopic[]
}
