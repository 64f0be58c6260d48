/**
 * Counters a fleet of device links shares: one object for all of them, so 10 000 devices add to
 * the same numbers rather than each keeping its own and the summary summing them.
 */
export class LinkCounters {
  /** Links with a CONNACK in hand now. */
  connected = 0
  /** Successful CONNACKs, reconnects included. */
  connects = 0
  /** Connections that were up and went down (flaky links, broker failures). */
  losses = 0
  /** SUBSCRIBE packets sent: one per connection that did not find its session on the broker. */
  subscribes = 0
  /** Readings the broker acknowledged (PUBACK). */
  readingsAcked = 0
  /** Readings the broker refused with a reason code; they are not retried. */
  readingsRefused = 0
  /** Readings dropped from a full store-and-forward buffer. */
  readingsDropped = 0
  /** PUBLISH packets that carried a reading, and their total size in bytes as sent. */
  readingPublishes = 0
  readingPublishBytes = 0
  /** PUBACK packets received for them, and their total size. */
  pubacks = 0
  pubackBytes = 0
  /** Commands answered, applied or refused. */
  commandsAcked = 0
  commandsRefused = 0
}
