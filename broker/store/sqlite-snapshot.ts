import type { QoS } from 'mqtt-packet'
import type { Message } from '../message.js'
import type { SnapshotRows } from './sqlite-protocol.js'
import { toMessage, toSubscriptionIds } from './sqlite-schema.js'
import type { SessionRecord, StoredSession, StoreSnapshot, SubscriptionRecord } from './store.js'

/**
 * What the worker read at open, as the broker restores it: each session with its subscriptions, in-flight
 * messages (in the order sent) and inbound QoS 2 ids, and the retained messages. A message that several
 * rows reference becomes one Message, shared as it was before the restart.
 */
export function snapshotFromRows(rows: SnapshotRows): StoreSnapshot {
  const messages = new Map<number, Message>()
  const message = (row: Parameters<typeof toMessage>[0]): Message => {
    let found = messages.get(row.id)
    if (found === undefined) {
      found = toMessage(row)
      messages.set(row.id, found)
    }
    return found
  }
  const sessions = new Map<string, StoredSession>()
  for (const row of rows.sessions) {
    sessions.set(row.client_id, {
      record: {
        clientId: row.client_id,
        protocolVersion: row.protocol_version as SessionRecord['protocolVersion'],
        expiryInterval: row.expiry_interval,
        disconnectedAt: row.disconnected_at ?? undefined,
        owner: row.owner_known === 1 ? { username: row.owner ?? undefined } : 'unknown'
      },
      subscriptions: [],
      inflight: [],
      incomingQos2: []
    })
  }
  for (const row of rows.subscriptions) {
    sessions.get(row.client_id)?.subscriptions.push({
      fullFilter: row.full_filter,
      qos: row.qos as QoS,
      noLocal: row.no_local === 1,
      retainAsPublished: row.retain_as_published === 1,
      retainHandling: row.retain_handling as SubscriptionRecord['retainHandling'],
      subscriptionId: row.subscription_id ?? undefined
    })
  }
  for (const row of rows.inflight) {
    sessions.get(row.client_id)?.inflight.push({
      packetId: row.packet_id,
      state: row.state,
      delivery: {
        message: message(row),
        qos: row.delivery_qos as QoS,
        retain: row.delivery_retain === 1,
        subscriptionIds: toSubscriptionIds(row.subscription_ids)
      }
    })
  }
  for (const row of rows.incoming) sessions.get(row.client_id)?.incomingQos2.push(row.packet_id)
  return { sessions: [...sessions.values()], retained: rows.retained.map(message), lastMessageId: rows.lastMessageId }
}
