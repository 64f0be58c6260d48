import { RedisBatch } from './redis-batch.js'
import { StoreError } from './store.js'

interface CatchUp {
  readonly promise: Promise<void>
  resolve(): void
  reject(error: StoreError): void
}

function catchUp(): CatchUp {
  let resolve!: () => void
  let reject!: (error: StoreError) => void
  const promise = new Promise<void>((yes, no) => {
    resolve = yes
    reject = no
  })
  promise.catch(() => {}) // refused for good: whoever waited has been told
  return { promise, resolve, reject }
}

/** Errors ioredis gives when the command never reached Redis, or its answer was lost with the connection. */
const UNREACHABLE = /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT/

/**
 * The writes of batches that failed because Redis could not be reached, kept in order so the store catches up when it
 * is back: they reflect what the broker already did in memory (routed, queued, sent), and dropping them would leave
 * Redis behind it. Each failed batch is refused (its acknowledgements do not go out now) with a StoreError whose
 * `caughtUp` resolves once every kept write is in Redis, so a reply that cannot be refused (3.x, PUBREL, PUBCOMP)
 * can go out then instead.
 * A batch whose connection broke after Redis had run it is kept too (which ioredis cannot tell apart): written again,
 * its queue pushes come twice, a duplicate delivery rather than a loss.
 */
export class RedisOutage {
  private kept: RedisBatch[] = []
  private caughtUp: CatchUp | undefined
  private startedAt: number | undefined

  /** Since when Redis has been unreachable (the first batch it could not take), or undefined. */
  get since(): number | undefined {
    return this.startedAt
  }

  get hasKept(): boolean {
    return this.kept.length > 0
  }

  /** Whether `error` (the batch's, with the connection's state at the answer) means Redis was not reached. */
  static isUnreachable(error: Error, connectionReady: boolean): boolean {
    return !connectionReady || UNREACHABLE.test(error.message)
  }

  /** Keeps the writes of a batch Redis did not take; returns the error to refuse it with. */
  keep(batch: RedisBatch, url: string): StoreError {
    this.startedAt ??= Date.now()
    this.caughtUp ??= catchUp()
    this.kept.push(batch)
    return new StoreError(`Redis at ${url} cannot be reached: kept to be written when it is back`, 'unavailable', this.caughtUp.promise)
  }

  /** Every kept write in one batch, in order, to be sent before anything newer; undefined when nothing is kept. */
  takeReplay(): RedisBatch | undefined {
    if (this.kept.length === 0) return undefined
    const replay = new RedisBatch()
    for (const batch of this.kept) {
      const reads = new Set<number>()
      for (const { start, count } of batch.reads) for (let i = start; i < start + count; i++) reads.add(i)
      batch.commands.forEach((command, index) => {
        if (!reads.has(index)) replay.add(command)
      })
      replay.lastMessageId = Math.max(replay.lastMessageId, batch.lastMessageId)
    }
    this.kept = []
    return replay
  }

  /** The replay is in Redis: the outage is over. Returns how long it lasted (ms). */
  ended(): number {
    const lasted = Date.now() - (this.startedAt ?? Date.now())
    this.caughtUp?.resolve()
    this.caughtUp = undefined
    this.startedAt = undefined
    return lasted
  }

  /** The replay failed for another reason than reach: what waited on it is refused for good. */
  failed(error: StoreError): void {
    this.caughtUp?.reject(error)
    this.caughtUp = undefined
    this.startedAt = undefined
  }
}
