import type { RedisBatch, RedisCommand } from './redis-batch.js'
import type { RedisClient, RedisConnection } from './redis-connection.js'

/** Each command's answer, in batch order: its error or its reply. */
export type BatchAnswers = Array<[Error | null, unknown]>

/**
 * How long a batch waits for a replica to confirm it (WAIT), under Sentinel and on a Redis Cluster with replicas: past
 * that the batch fails and nothing in it is acknowledged.
 */
export const REPLICA_WAIT_MS = 2000

/**
 * A batch Redis has not answered in this long fails, and nothing in it is acknowledged: a client that waits for a
 * Cluster to settle after a failover could otherwise hold a batch, and every acknowledgement behind it, for ever.
 */
export const BATCH_TIMEOUT_MS = 10_000

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
 *   fails may have changed some shards, which is why the store treats a failed batch as maybe written. When the
 *   Cluster has replicas, each MULTI is followed by WAIT 1 on its shard, for the reason above (so every master needs
 *   a replica then).
 */
export function commitBatch(connection: RedisConnection, batch: RedisBatch): Promise<BatchAnswers> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${BATCH_TIMEOUT_MS} ms`)), BATCH_TIMEOUT_MS)
    send(connection, batch)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer))
  })
}

async function send(connection: RedisConnection, batch: RedisBatch): Promise<BatchAnswers> {
  const { client, topology } = connection
  const withReplicas = connection.failsOverToReplicas()
  if (topology !== 'cluster') return withReplicas ? replicated(client, batch.commands) : transaction(client, batch.commands)
  const groups = batch.groupBySlot()
  const answered = await Promise.all(
    groups.map((group) => (withReplicas ? replicated(client, group.commands) : transaction(client, group.commands)))
  )
  const answers: BatchAnswers = new Array(batch.commands.length)
  groups.forEach((group, i) => {
    answered[i].forEach((answer, j) => {
      answers[group.positions[j]] = answer
    })
  })
  return answers
}

/**
 * MULTI, the commands, EXEC and WAIT 1 in one pipeline: on one connection, so WAIT counts exactly these writes, and on
 * a Cluster it goes to the shard the commands' keys route the pipeline to.
 */
async function replicated(client: RedisClient, commands: RedisCommand[]): Promise<BatchAnswers> {
  // ioredis reads a MULTI ... EXEC inside a pipeline as an inline transaction; the pipeline's own exec() sends it all.
  const pipeline = client.pipeline([['multi'], ...commands, ['exec'], ['wait', 1, REPLICA_WAIT_MS]])
  const results = answersOf(await pipeline.exec())
  const [[execError, execReply], [waitError, confirmed]] = results.slice(-2)
  // EXECABORT says only that a command was refused while queued; that refusal (MOVED, CLUSTERDOWN, ...) says why.
  if (execError !== null) throw results.find(([error]) => error !== null)![0]
  if (waitError !== null) throw waitError
  if ((confirmed as number) < 1)
    throw new Error(`no replica confirmed the batch within ${REPLICA_WAIT_MS} ms (WAIT 1), so it is not acknowledged`)
  // Inside EXEC's answer a failed command is its error.
  return (execReply as unknown[]).map((reply) => (reply instanceof Error ? [reply, null] : [null, reply]))
}

/** One MULTI/EXEC. */
async function transaction(client: RedisClient, commands: RedisCommand[]): Promise<BatchAnswers> {
  try {
    return answersOf(await client.multi(commands).exec())
  } catch (error) {
    // As in `replicated`: the refusal of a queued command says more than EXECABORT.
    throw (error as { previousErrors?: Error[] }).previousErrors?.[0] ?? error
  }
}

function answersOf(results: BatchAnswers | null): BatchAnswers {
  if (results === null) throw new Error('the transaction was aborted')
  return results
}
