/**
 * Every limit and policy of the broker, with its default. Sizes are bytes, durations seconds.
 * Parsed once at start and frozen; the config file and the flags fill the same shape (broker/config/).
 */
export interface BrokerOptions {
  /** Largest packet accepted from a client; bigger ones close the connection (5.0: 0x95). */
  maxPacketSize: number
  /** How many QoS 1/2 PUBLISHes a 5.0 client may have unacknowledged towards us (CONNACK Receive Maximum). */
  receiveMaximum: number
  /** Our outgoing in-flight window per client; 5.0 clients can lower it with their own Receive Maximum. */
  maxInflight: number
  /** Messages waiting for one session (offline, or online but behind its in-flight window). */
  maxQueuedMessages: number
  /** Payload bytes waiting for one session. */
  maxQueuedBytes: number
  /** Queue QoS 0 messages for offline persistent sessions too (Mosquitto's queue_qos0_messages). */
  queueQos0: boolean
  /** How long a 3.1/3.1.1 persistent session outlives its connection; those protocols have no expiry of their own. */
  legacySessionExpiry: number
  /** Upper bound on the Session Expiry Interval a 5.0 client may ask for. */
  maxSessionExpiry: number
  /** Caps the client's keepalive (5.0 Server Keep Alive; 3.1.1 clients are held to 1.5 × the cap). 0 = no cap. */
  maxKeepalive: number
  /** Topic aliases a 5.0 client may use towards us (CONNACK Topic Alias Maximum). */
  topicAliasMaximum: number
  /** Longest topic or filter, in levels; deeper ones are refused. */
  maxTopicLevels: number
  /** Seconds between $SYS updates; 0 turns them off. */
  sysInterval: number
  /** Seconds a connection may take to send CONNECT after the socket opens. */
  connectTimeout: number
  /** Longest a write may wait for the socket to drain before the client is considered dead. */
  drainTimeout: number
  /** Connected clients at most; more are refused with 0x97 Quota exceeded (3.1.1: server unavailable). */
  maxConnections: number
  /** Subscriptions one session may hold; more get 0x97 on their SUBACK entry (3.1.1: 0x80). */
  maxSubscriptionsPerClient: number
  /** Longest topic name or filter, in bytes of UTF-8. */
  maxTopicLength: number
  /** PUBLISHes per second one client may send (a burst of one second's worth is allowed); 0 = no limit. Over it: 0x96. */
  maxPublishRate: number
  /** New connections per second from one address; over it CONNECT gets 0x9F Connection rate exceeded. 0 = no limit. */
  maxConnectionRate: number
  /** Apply the per-address limits to loopback too (off, so local tools and load tests are not throttled). */
  rateLimitLoopback: boolean
  /**
   * A session belongs to the user who made it (user name, or certificate identity on a use_identity_as_username
   * listener; no user name is a user of its own). A CONNECT of another user for the same client id: 'refuse' answers
   * 0x87 Not authorized (3.1.1: return code 5) and leaves the session and any connection on it alone; 'clean-start'
   * takes over, discards the old session and starts a new one (Session Present 0).
   */
  sessionOwnerMismatch: SessionOwnerMismatch
  /** Sparkplug Aware server: keeps every NBIRTH and DBIRTH retained under `$sparkplug/certificates/` (broker/sparkplug/). */
  sparkplug: boolean
  /** Sets an NDEATH's payload timestamp to the time the broker delivers it (Sparkplug 3.0 allows it; off by default). */
  sparkplugNdeathTimestamp: boolean
}

export const sessionOwnerMismatchChoices = ['refuse', 'clean-start'] as const
export type SessionOwnerMismatch = (typeof sessionOwnerMismatchChoices)[number]

export const defaultBrokerOptions: Readonly<BrokerOptions> = Object.freeze({
  maxPacketSize: 1024 * 1024,
  receiveMaximum: 1024,
  maxInflight: 100,
  maxQueuedMessages: 1000,
  maxQueuedBytes: 16 * 1024 * 1024,
  queueQos0: false,
  legacySessionExpiry: 7 * 24 * 3600,
  maxSessionExpiry: 0xffffffff,
  maxKeepalive: 0,
  topicAliasMaximum: 64,
  maxTopicLevels: 64,
  sysInterval: 10,
  connectTimeout: 10,
  drainTimeout: 60,
  maxConnections: 100_000,
  maxSubscriptionsPerClient: 1000,
  maxTopicLength: 4096,
  maxPublishRate: 0,
  maxConnectionRate: 50,
  rateLimitLoopback: false,
  sessionOwnerMismatch: 'refuse',
  sparkplug: true,
  sparkplugNdeathTimestamp: false
})

/** Allowed range of each numeric option; the protocol fixes several (packet ids, 16-bit counts). */
export const brokerOptionRanges: Readonly<Partial<Record<keyof BrokerOptions, [number, number]>>> = {
  maxPacketSize: [64, 268_435_460], // the largest packet MQTT can frame
  receiveMaximum: [1, 65_535],
  maxInflight: [1, 65_535],
  maxQueuedMessages: [0, Number.MAX_SAFE_INTEGER],
  maxQueuedBytes: [0, Number.MAX_SAFE_INTEGER],
  legacySessionExpiry: [0, 0xffffffff],
  maxSessionExpiry: [0, 0xffffffff],
  maxKeepalive: [0, 65_535],
  topicAliasMaximum: [0, 65_535],
  maxTopicLevels: [1, 65_535],
  sysInterval: [0, 86_400],
  connectTimeout: [1, 3_600],
  drainTimeout: [1, 86_400],
  maxConnections: [1, 10_000_000],
  maxSubscriptionsPerClient: [1, 10_000_000],
  maxTopicLength: [1, 65_535],
  maxPublishRate: [0, 10_000_000],
  maxConnectionRate: [0, 10_000_000]
}

/** Defaults overlaid with `overrides`, checked against the allowed ranges; throws naming the option. */
export function resolveBrokerOptions(overrides: Partial<BrokerOptions> = {}): Readonly<BrokerOptions> {
  const options = { ...defaultBrokerOptions, ...overrides }
  for (const [key, [min, max]] of Object.entries(brokerOptionRanges) as Array<[keyof BrokerOptions, [number, number]]>) {
    const value = options[key]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`broker option ${key} must be a whole number from ${min} to ${max}, not ${String(value)}`)
    }
  }
  if (!sessionOwnerMismatchChoices.includes(options.sessionOwnerMismatch)) {
    throw new RangeError(`broker option sessionOwnerMismatch must be one of ${sessionOwnerMismatchChoices.join(', ')}`)
  }
  return Object.freeze(options)
}
