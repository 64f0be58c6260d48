import type { ConnectionOptions, MessageRow } from './sqlite-schema.js'

/**
 * The messages between SqliteStore (main thread) and sqlite-worker.ts. A batch is a list of operations,
 * applied in order in one transaction; each is a list of values whose first is its Op (encoded by
 * sqlite-batch-codec.ts). Subscription identifiers travel as the JSON text stored for them.
 */
export const Op = {
  Session: 0, // clientId, protocolVersion, expiryInterval, disconnectedAt | null, owner | null, ownerKnown (0 | 1)
  DeleteSession: 1, // clientId, firstSeq | null, lastSeq | null: as Clear, for its queue rows
  Subscription: 2, // clientId, fullFilter, qos, noLocal, retainAsPublished, retainHandling, subscriptionId | null
  DeleteSubscription: 3, // clientId, fullFilter
  Retained: 4, // topic, messageId
  DeleteRetained: 5, // topic
  // clientId, seq, messageId, qos, retain, subscriptionIds | null, bytes, packetId | null (sent, see SentRows); then, for a
  // message stored inline in the row (Batch.encode), its topic, payload, qos, retain, properties, expiresAt, receivedAt, origin
  Push: 6,
  Shift: 7, // clientId, seq: every row of the queue up to seq is delivered (the head moves; see QUEUE_SQL)
  Clear: 8, // clientId, firstSeq, lastSeq: the queue's rows in that range
  Inflight: 9, // clientId, packetId, state, seq (the order sent), messageId, qos, retain, subscriptionIds | null
  DeleteInflight: 10, // clientId, packetId
  Incoming: 11, // clientId, packetId
  DeleteIncoming: 12, // clientId, packetId
  Read: 13, // clientId, token, seqs (float64 little-endian): a page of the queue, answered with the batch
  Resync: 14, // clientId, token, fromSeq, toSeq: the seqs and bytes of the queue's rows in that range
  Sent: 15 // clientId, seq, packetId: the queue row went out with this packet id and waits for its PUBACK
} as const
export type Op = (typeof Op)[keyof typeof Op]

/** An Op.Push's values, its Op included; one with its message inline has INLINE_MESSAGE_VALUES more. */
export const PUSH_VALUES = 9
/** A message's values inside the push it is inline in: MESSAGE_FIELDS but the id (the push has it). */
export const INLINE_MESSAGE_VALUES = 8

export type ToWorker =
  | { type: 'open'; file: string; options: ConnectionOptions }
  | { type: 'snapshot' }
  /** `data`: the batch's messages and operations (sqlite-batch-codec.ts), `length` bytes of it used; transferred. */
  | { type: 'batch'; id: number; data: ArrayBuffer; length: number; lastMessageId: number }
  | { type: 'close' }

export type FromWorker =
  | { type: 'opened'; snapshot: SnapshotRows }
  | { type: 'openFailed'; code: string; message: string }
  | { type: 'snapshot'; snapshot: SnapshotRows }
  | BatchReply
  | { type: 'closed' }

export interface BatchReply {
  type: 'batch'
  id: number
  error?: { code: string; message: string }
  reads: PageRead[]
  resyncs: QueueResync[]
}

export interface DeliveryColumns {
  delivery_qos: number
  delivery_retain: number
  subscription_ids: string | null
}

/** The rows a read asked for, in seq order; rows whose message is missing (a salvaged file) are left out. */
export interface PageRead {
  token: number
  rows: Array<MessageRow & DeliveryColumns & { seq: number }>
  /** The payload bytes of every row found, left-out ones included. */
  bytes: number
}

/** The queue's rows in the range a resync asked for (up to `upTo`): their seqs, ascending, and payload bytes. */
export interface QueueResync {
  token: number
  upTo: number
  seqs: Float64Array
  bytes: number
}

/** A session's queue rows at open. */
export interface QueueStats {
  client_id: string
  count: number
  bytes: number
  seqs: Float64Array
}

export interface SnapshotRows {
  sessions: Array<{
    client_id: string
    protocol_version: number
    expiry_interval: number
    disconnected_at: number | null
    owner: string | null
    owner_known: number
  }>
  subscriptions: Array<{
    client_id: string
    full_filter: string
    qos: number
    no_local: number
    retain_as_published: number
    retain_handling: number
    subscription_id: number | null
  }>
  /** Each session's in the order sent (`seq`); `in_queue` 1 for a queue row in flight (see SentRows). */
  inflight: Array<
    MessageRow & DeliveryColumns & { client_id: string; packet_id: number; state: 'publish' | 'pubrel'; seq: number; in_queue: number }
  >
  incoming: Array<{ client_id: string; packet_id: number }>
  retained: MessageRow[]
  queues: QueueStats[]
  /** The highest queue or in-flight seq on disk (0 for none): new rows number on from it. */
  lastSeq: number
  lastMessageId: number
}
