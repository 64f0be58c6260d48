/**
 * The broker's Prometheus metrics that the Grafana dashboard may name, with their types (a histogram also
 * exports `_bucket`, `_sum` and `_count`). Written from issue 19's list while the broker's admin listener was
 * being built beside this; once it exists, make this read the broker's real registry instead, so that the
 * dashboard's test checks what the broker exports.
 */
export const BROKER_METRICS: Readonly<Record<string, 'counter' | 'gauge' | 'histogram'>> = {
  thermopost_broker_clients_connected: 'gauge',
  thermopost_broker_messages_received_total: 'counter',
  thermopost_broker_messages_sent_total: 'counter',
  thermopost_broker_messages_dropped_total: 'counter',
  thermopost_broker_retained_messages: 'gauge',
  thermopost_broker_sessions: 'gauge',
  thermopost_broker_queued_messages: 'gauge',
  thermopost_broker_store_commit_duration_seconds: 'histogram'
}
