/** Why a message was not delivered: the index into `BrokerStats.dropped`, and the name metrics give it. */
export const DropReason = {
  /** A session's queue was at its limit (the oldest made room), or a slow QoS 0 consumer's socket was full. */
  QueueFull: 0,
  /** Its Message Expiry Interval ran out while it waited in a queue. */
  Expired: 1,
  /** No subscription on this node matched its topic. */
  NoSubscriber: 2,
  /** The ACL refused the PUBLISH (or the will). */
  Acl: 3,
  /** Larger than the Maximum Packet Size its subscriber set. */
  TooLarge: 4,
  /** It came over a bridge that it had already crossed: forwarding it again would make it loop (broker/bridge/). */
  BridgeLoop: 5
} as const

export const dropReasonNames = ['queue_full', 'expired', 'no_subscriber', 'acl', 'too_large', 'bridge_loop'] as const

/**
 * Counters for $SYS and metrics. Plain fields and typed arrays (indexed by QoS, drop reason or reason code): they are
 * bumped on the hot path, and the metrics read them when scraped instead of being called per message.
 */
export class BrokerStats {
  readonly startedAt = Date.now()
  /** PUBLISH packets from clients, by QoS. */
  readonly received = new Float64Array(3)
  /** Bytes of those PUBLISH packets (fixed header, topic and properties included), by QoS. */
  readonly receivedPublishBytes = new Float64Array(3)
  /** PUBLISH packets to clients, by QoS. */
  readonly sent = new Float64Array(3)
  readonly sentPublishBytes = new Float64Array(3)
  /** Every byte read from and written to clients, whatever the packet. */
  bytesReceived = 0
  bytesSent = 0
  /** MQTT packets of any type read from and written to clients. */
  packetsReceived = 0
  packetsSent = 0
  /** Sockets accepted on any listener. */
  socketsOpened = 0
  /** CONNECT packets received (accepted or not). */
  connectsReceived = 0
  /** Messages not delivered, by DropReason. */
  readonly dropped = new Float64Array(dropReasonNames.length)
  clientsConnected = 0
  /** The most clients connected at once since the start. */
  clientsMaximum = 0
  /** Offline sessions that ended because their expiry ran out. */
  sessionsExpired = 0
  /** CONNECTs answered, by CONNACK reason code (5.0 codes; 0 is accepted). */
  readonly connacks = new Float64Array(256)
  /** Connected clients the broker disconnected, by the reason code of its DISCONNECT (sent to 5.0 clients only). */
  readonly serverDisconnects = new Float64Array(256)
  /** Clients that sent DISCONNECT. */
  clientDisconnects = 0
  /** Connected clients whose connection ended without a DISCONNECT either way (a reset, a closed socket). */
  connectionsLost = 0
  /** CONNECTs refused because of who the client is: credentials, certificate, or a session of another user. */
  authenticationFailures = 0

  get messagesReceived(): number {
    return sum(this.received)
  }

  get messagesSent(): number {
    return sum(this.sent)
  }

  get publishBytesReceived(): number {
    return sum(this.receivedPublishBytes)
  }

  get publishBytesSent(): number {
    return sum(this.sentPublishBytes)
  }

  get messagesDropped(): number {
    return sum(this.dropped)
  }
}

function sum(counts: Float64Array): number {
  let total = 0
  for (const count of counts) total += count
  return total
}
