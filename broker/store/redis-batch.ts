import { CommitBatch } from './group-commit.js'
import { hashTagOf } from './redis-keys.js'

/** A queue whose pushes that live only in Redis are in a batch: told when that batch fails, so it re-reads its counts. */
export interface RemotePushes {
  onBatchFailed(): void
}

/** One Redis command: its name, then its arguments. */
export type RedisCommand = [string, ...Array<string | number>]

/**
 * A stored form made only when its batch is sealed: a write taken back before then (RedisBatch.cancel) never pays
 * for encoding its message. Whatever `encode` reads must not change until then (messages do not).
 */
export class LazyArgument {
  constructor(readonly encode: () => string) {}
}

/** A command as written into a batch: its last argument may be a LazyArgument, encoded when the batch is sealed. */
export type WrittenCommand = [string, ...Array<string | number>] | [string, ...Array<string | number>, LazyArgument]

/**
 * The commands of a batch whose keys share one hash tag, so one slot of a Redis Cluster, where a MULTI may touch only
 * one slot: each group is one MULTI there.
 */
export interface SlotGroup {
  /** The hash tag of its keys (the whole key for a key without one). */
  tag: string
  commands: RedisCommand[]
  /** Where each command stands in the batch, so the answers go back in batch order. */
  positions: number[]
}

/** Answers to a read's commands, in order; undefined when the batch that carried them failed. */
export type ReadHandler = (results: unknown[] | undefined) => void

/**
 * Commands written since the last send, executed together in one MULTI/EXEC (group commit: see RedisStore). Reads
 * of queue pages travel inside the batch, so they see every write made before them.
 *
 * Until it is sealed (as it goes), a pair of writes that undo each other may be taken back (`cancel`): a message
 * queued and handed to its in-flight window within one batch, or sent and acknowledged within one, then costs Redis
 * nothing. Redis sees the batch as one step, so what it ends with is the same.
 */
export class RedisBatch extends CommitBatch {
  private static made = 0
  /** Tells batches apart without holding on to one: a sealed batch's commands are not kept alive by who wrote them. */
  readonly serial = ++RedisBatch.made
  /** What was written; sealing takes out what was taken back and encodes every LazyArgument. */
  private readonly written: WrittenCommand[] = []
  /** Each read: where its commands start in `commands`, how many there are, and who gets the answers. */
  readonly reads: Array<{ start: number; readonly count: number; readonly handler: ReadHandler }> = []
  /** The highest message id written in this batch; recorded with ZADD GT at its end. */
  lastMessageId = 0
  /** Queues with pushes kept only in Redis in this batch: if it fails they re-read their counts. */
  readonly remotePushes = new Set<RemotePushes>()
  /** Sent (or on its way): nothing in it can be taken back any more. */
  private isSealed = false

  get length(): number {
    return this.written.length
  }

  /** The commands to send, once the batch is sealed. */
  get commands(): RedisCommand[] {
    if (!this.isSealed) throw new Error('the commands of a batch are sent once it is sealed')
    // seal() encoded every LazyArgument, so each written command is a plain one now.
    return this.written as RedisCommand[]
  }

  /** The commands that write: all but the reads'. */
  get writes(): number {
    return this.reads.reduce((writes, read) => writes - read.count, this.written.length)
  }

  add(command: WrittenCommand, messageId = 0): void {
    this.written.push(command)
    if (messageId > this.lastMessageId) this.lastMessageId = messageId
  }

  /**
   * Takes back writes added to this batch (each one the very array given to `add`), when the caller knows together
   * they change nothing; false, and nothing changes, once the batch is sealed.
   */
  cancel(...commands: WrittenCommand[]): boolean {
    if (this.isSealed) return false
    // Emptied in place: sealing drops empty commands.
    for (const command of commands) command.length = 0
    return true
  }

  /**
   * The batch goes: what was taken back leaves it (the reads move up with the rest), every LazyArgument is encoded,
   * and nothing more can be taken back.
   */
  seal(): void {
    if (this.isSealed) return
    this.isSealed = true
    const written = this.written
    let kept = 0
    let read = 0
    for (let i = 0; i < written.length; i++) {
      while (read < this.reads.length && this.reads[read].start === i) this.reads[read++].start = kept
      const command = written[i]
      if (command.length === 0) continue
      const last = command[command.length - 1]
      if (last instanceof LazyArgument) command[command.length - 1] = last.encode()
      written[kept++] = command
    }
    while (read < this.reads.length) this.reads[read++].start = kept
    written.length = kept
  }

  addRead(commands: RedisCommand[], handler: ReadHandler): void {
    this.reads.push({ start: this.written.length, count: commands.length, handler })
    this.written.push(...commands)
  }

  /**
   * The batch split per hash tag, each group in batch order. Every command the store writes names its key first, and
   * a command with several keys (DEL of a session) names keys of one session, so the first key stands for all.
   */
  groupBySlot(): SlotGroup[] {
    const groups = new Map<string, SlotGroup>()
    this.commands.forEach((command, position) => {
      const tag = hashTagOf(String(command[1]))
      let group = groups.get(tag)
      if (group === undefined) {
        group = { tag, commands: [], positions: [] }
        groups.set(tag, group)
      }
      group.commands.push(command)
      group.positions.push(position)
    })
    return [...groups.values()]
  }

  /** Hands each read the answers to its commands (undefined for all when the batch failed). */
  answerReads(results: unknown[] | undefined): void {
    for (const read of this.reads) read.handler(results?.slice(read.start, read.start + read.count))
  }
}
