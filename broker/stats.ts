/** Counters for $SYS and, later, metrics. Plain fields: they are bumped on the hot path. */
export class BrokerStats {
  readonly startedAt = Date.now()
  messagesReceived = 0
  messagesSent = 0
  bytesReceived = 0
  bytesSent = 0
  /** Messages dropped: queue limits, oversized for a client, slow QoS 0 consumers. */
  messagesDropped = 0
  clientsConnected = 0
}
