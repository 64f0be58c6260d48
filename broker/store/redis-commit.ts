import type { RedisBatch, RedisCommand } from './redis-batch.js'
import type { RedisClient, RedisConnection } from './redis-connection.js'
import type { FencedCommands } from './redis-fence.js'

/**
 * How a cluster node fences a list of a batch's commands (redis-fence.ts): `isRead(i)` tells whether the i-th of them
 * only reads. Applied to the whole batch on one Redis, and to each hash tag's group on a Redis Cluster.
 */
export type CommandFence = (commands: readonly RedisCommand[], isRead: (index: number) => boolean) => FencedCommands

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
export function commitBatch(connection: RedisConnection, batch: RedisBatch, fence?: CommandFence): Promise<BatchAnswers> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${BATCH_TIMEOUT_MS} ms`)), BATCH_TIMEOUT_MS)
    send(connection, batch, fence)
      .then(resolve, reject)
      .finally(() => clearTimeout(timer))
  })
}

async function send(connection: RedisConnection, batch: RedisBatch, fence: CommandFence | undefined): Promise<BatchAnswers> {
  const { client, topology } = connection
  const withReplicas = connection.failsOverToReplicas()
  const reads = new Set<number>()
  for (const { start, count } of batch.reads) for (let i = start; i < start + count; i++) reads.add(i)
  /** One MULTI of `commands` (the batch's commands at `positions`), fenced when the store is a cluster node's. */
  const commit = async (commands: RedisCommand[], positions: (index: number) => number): Promise<BatchAnswers> => {
    const fenced = fence?.(commands, (index) => reads.has(positions(index)))
    const sent = fenced?.commands ?? commands
    const answers = await (withReplicas ? replicated(client, sent) : transaction(client, sent))
    return fenced === undefined ? answers : fenced.unfence(answers)
  }
  if (topology !== 'cluster') return commit(batch.commands, (index) => index)
  const groups = batch.groupBySlot()
  const answered = await Promise.all(groups.map((group) => commit(group.commands, (index) => group.positions[index]!)))
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
