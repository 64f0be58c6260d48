import type { QueueStats, SnapshotRows } from './sqlite-protocol.js'
import type { Database } from './sqlite-schema.js'
import { MESSAGE_COLUMNS, QUEUE_MESSAGE_COLUMNS, QUEUE_MESSAGE_JOIN } from './sqlite-schema.js'

/**
 * What the broker restores at open, read in the worker: sessions, subscriptions, in-flight messages in the order sent
 * (rows of both the in-flight table and the queue log), inbound QoS 2 ids, retained messages, and each queue's seqs.
 */
export function readSnapshot(connection: Database): SnapshotRows {
  const sessions = connection.prepare('SELECT * FROM sessions').all() as SnapshotRows['sessions']
  const subscriptions = connection
    .prepare('SELECT * FROM subscriptions ORDER BY client_id, full_filter')
    .all() as SnapshotRows['subscriptions']
  const inflight = connection
    .prepare(`SELECT i.client_id, i.packet_id, i.state, i.seq, 0 AS in_queue, i.qos AS delivery_qos, i.retain AS delivery_retain,
      i.subscription_ids, ${MESSAGE_COLUMNS} FROM inflight i JOIN messages m ON m.id = i.message_id
    UNION ALL
    SELECT q.client_id, q.packet_id, 'publish', q.seq, 1, q.qos, q.retain, q.subscription_ids, ${QUEUE_MESSAGE_COLUMNS}
      FROM queue q ${QUEUE_MESSAGE_JOIN} LEFT JOIN queue_heads h ON h.client_id = q.client_id
      WHERE q.packet_id IS NOT NULL AND (h.seq IS NULL OR q.seq > h.seq) AND (q.topic IS NOT NULL OR m.id IS NOT NULL)
    ORDER BY 1, 4`)
    .all() as SnapshotRows['inflight']
  const incoming = connection.prepare('SELECT client_id, packet_id FROM incoming_qos2 ORDER BY rowid').all() as SnapshotRows['incoming']
  const retained = connection
    .prepare(`SELECT ${MESSAGE_COLUMNS} FROM retained r JOIN messages m ON m.id = r.message_id ORDER BY r.topic`)
    .all() as SnapshotRows['retained']
  const { queues, lastSeq } = queueStats(connection)
  const lastMessageId = connection.prepare("SELECT value FROM meta WHERE key = 'last_message_id'").pluck().get() as number
  return { sessions, subscriptions, inflight, incoming, retained, queues, lastSeq, lastMessageId }
}

/** Every queue's seqs and bytes, from one pass over the queue log in seq order. */
function queueStats(connection: Database): { queues: QueueStats[]; lastSeq: number } {
  const bySession = new Map<string, { seqs: number[]; bytes: number }>()
  let lastSeq = 0
  const rows = connection
    .prepare(`SELECT q.client_id, q.seq, q.bytes FROM queue q LEFT JOIN queue_heads h ON h.client_id = q.client_id
      WHERE (h.seq IS NULL OR q.seq > h.seq) AND q.packet_id IS NULL ORDER BY q.seq`)
    .raw()
    .iterate() as Iterable<[string, number, number]>
  for (const [clientId, seq, bytes] of rows) {
    let queue = bySession.get(clientId)
    if (queue === undefined) {
      queue = { seqs: [], bytes: 0 }
      bySession.set(clientId, queue)
    }
    queue.seqs.push(seq)
    queue.bytes += bytes
    lastSeq = seq
  }
  // A head can be past every row left (they were delivered and swept), and rows in flight past every waiting one:
  // new rows must number on from them. In-flight rows number from the same counter (format 4).
  const lastOther = connection
    .prepare(`SELECT max((SELECT coalesce(max(seq), 0) FROM queue_heads), (SELECT coalesce(max(seq), 0) FROM queue),
      (SELECT coalesce(max(seq), 0) FROM inflight))`)
    .pluck()
    .get() as number
  if (lastOther > lastSeq) lastSeq = lastOther
  const queues = [...bySession].map(([clientId, queue]) => ({
    client_id: clientId,
    count: queue.seqs.length,
    bytes: queue.bytes,
    seqs: Float64Array.from(queue.seqs)
  }))
  return { queues, lastSeq }
}
