import type { StoreError } from './store.js'

/** A queue whose pushes that live only in Redis are in a batch: told when that batch fails, so it re-reads its counts. */
export interface RemotePushes {
  onBatchFailed(): void
}

/** One Redis command: its name, then its arguments. */
export type RedisCommand = [string, ...Array<string | number>]

/** Answers to a read's commands, in order; undefined when the batch that carried them failed. */
export type ReadHandler = (results: unknown[] | undefined) => void

/**
 * Commands written since the last send, executed together in one MULTI/EXEC (group commit: see RedisStore). Reads
 * of queue pages travel inside the batch, so they see every write made before them.
 */
export class RedisBatch {
  readonly commands: RedisCommand[] = []
  /** Each read: where its commands start in `commands`, how many there are, and who gets the answers. */
  readonly reads: Array<{ start: number; count: number; handler: ReadHandler }> = []
  /** The highest message id written in this batch; recorded with ZADD GT at its end. */
  lastMessageId = 0
  /** Queues with pushes kept only in Redis in this batch: if it fails they re-read their counts. */
  readonly remotePushes = new Set<RemotePushes>()
  readonly promise: Promise<void>
  resolve!: () => void
  reject!: (error: StoreError) => void

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    this.promise.catch(() => {}) // a failure nobody waited for is not an unhandled rejection
  }

  add(command: RedisCommand, messageId = 0): void {
    this.commands.push(command)
    if (messageId > this.lastMessageId) this.lastMessageId = messageId
  }

  addRead(commands: RedisCommand[], handler: ReadHandler): void {
    this.reads.push({ start: this.commands.length, count: commands.length, handler })
    this.commands.push(...commands)
  }

  /** Hands each read the answers to its commands (undefined for all when the batch failed). */
  answerReads(results: unknown[] | undefined): void {
    for (const read of this.reads) read.handler(results?.slice(read.start, read.start + read.count))
  }
}
