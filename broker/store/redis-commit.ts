import type { RedisBatch } from './redis-batch.js'
import type { RedisConnection } from './redis-connection.js'

/** Each command's answer, in batch order: its error or its reply. */
export type BatchAnswers = Array<[Error | null, unknown]>

/**
 * How long a batch waits under Sentinel for the replica to confirm it (WAIT): past that the batch fails and nothing in
 * it is acknowledged.
 */
export const REPLICA_WAIT_MS = 2000

/**
 * Writes a batch and resolves with the answers once Redis has all of it, or rejects.
 * - One Redis: the whole batch as one MULTI/EXEC.
 * - Sentinel: the same, then `WAIT 1`. Replication is asynchronous: the primary answers EXEC before its replica has
 *   the writes, and a primary killed at that moment takes them with it when Sentinel promotes the replica. WAIT
 *   holds the answer until a replica has them, so what is acknowledged survives a promotion; it costs a round trip
 *   from the primary to its replica per batch (group commit spreads it over every message in the batch), and while
 *   no replica answers within REPLICA_WAIT_MS nothing is acknowledged.
 * - Redis Cluster: a MULTI may touch one slot only, so one MULTI per hash tag (RedisBatch.groupBySlot), all sent at
 *   once; the client routes each to its shard. Each is atomic on its own shard, not with the others: a batch that
 *   fails may have changed some shards, which is why the store treats a failed batch as maybe written.
 */
export async function commitBatch(connection: RedisConnection, batch: RedisBatch): Promise<BatchAnswers> {
  const { client, topology } = connection
  if (topology !== 'cluster') {
    const transaction = client.multi(batch.commands).exec()
    // Sent right behind EXEC on the same connection, so it waits for exactly this batch's writes.
    const replicated = topology === 'sentinel' ? client.wait(1, REPLICA_WAIT_MS) : undefined
    replicated?.catch(() => {}) // when EXEC fails, that failure is the one told
    const answers = answersOf(await transaction)
    if (replicated !== undefined && (await replicated) < 1)
      throw new Error(`no replica confirmed the batch within ${REPLICA_WAIT_MS} ms (WAIT 1), so it is not acknowledged`)
    return answers
  }
  const groups = batch.groupBySlot()
  const answered = await Promise.all(groups.map((group) => client.multi(group.commands).exec()))
  const answers: BatchAnswers = new Array(batch.commands.length)
  groups.forEach((group, i) => {
    answersOf(answered[i]).forEach((answer, j) => {
      answers[group.positions[j]] = answer
    })
  })
  return answers
}

function answersOf(results: BatchAnswers | null): BatchAnswers {
  if (results === null) throw new Error('the transaction was aborted')
  return results
}
