import { StoreError } from './store.js'

/**
 * What every backend's batch has for GroupCommit: the promise that settles when the backend has answered it (rejected
 * with a StoreError when it could not be made durable), and its length in operations, for the batch limit.
 */
export abstract class CommitBatch {
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

  abstract get length(): number
}

/** The backend behind a GroupCommit: makes batches and sends them. */
export interface BatchSink<B extends CommitBatch> {
  newBatch(): B
  /** Sends `batch` (settling it when answered) and then calls `GroupCommit.answered(batch)`, also on failure. */
  commit(batch: B): void
  /** A batch that must go before the current one (writes kept through an outage); taken when the next batch goes. */
  takeOverdue?(): B | undefined
  hasOverdue?(): boolean
}

const RESOLVED = Promise.resolve()

/**
 * Group commit, the lifecycle every durable store shares: writes only append to the current batch; while the backend
 * answers one batch, the next one fills, and it goes as soon as the answer is in (after the current I/O phase, so
 * everything that phase writes joins it) or when it reaches `batchLimit` operations. `flush()` is the promise of the
 * batch holding the latest write, which is what PUBACK / PUBREC wait for.
 */
export class GroupCommit<B extends CommitBatch> {
  private current: B | undefined
  /** Sent, not yet answered, oldest first. */
  private readonly sent: B[] = []
  private sendScheduled = false
  private running = false

  constructor(
    private readonly sink: BatchSink<B>,
    private readonly batchLimit: number
  ) {}

  /** The batch that writes go to now; call `written()` after adding to it. */
  get batch(): B {
    this.current ??= this.sink.newBatch()
    return this.current
  }

  /** The batch that writes go to now, if one has been made since the last went. */
  get open(): B | undefined {
    return this.current
  }

  /** Whether no batch is waiting for its answer. */
  get idle(): boolean {
    return this.sent.length === 0
  }

  /** Batches may go from now on; what was written before goes first. */
  start(): void {
    this.running = true
    this.schedule()
  }

  written(): void {
    if (this.current !== undefined && this.current.length >= this.batchLimit) this.send()
    else this.schedule()
  }

  flush(): Promise<void> {
    if (this.current !== undefined) return this.current.promise
    const last = this.sent[this.sent.length - 1]
    return last === undefined ? RESOLVED : last.promise
  }

  /** The backend answered `batch` (it has settled it): the next one may go. */
  answered(batch: B): void {
    const at = this.sent.indexOf(batch)
    if (at !== -1) this.sent.splice(at, 1)
    this.schedule()
  }

  /** Sends what is written, waits for every answer, and then takes no more batches; later writes are refused. */
  async stop(): Promise<void> {
    if (this.running) {
      this.send()
      await Promise.allSettled(this.sent.map((batch) => batch.promise))
    }
    this.running = false
    this.current?.reject(new StoreError('the store closed before these changes were written', 'failed'))
    this.current = undefined
  }

  /** Sends the next batch once the one before is answered, after everything of this I/O phase has joined it. */
  schedule(): void {
    if (this.sendScheduled || !this.running || this.sent.length > 0) return
    if (this.current === undefined && this.sink.hasOverdue?.() !== true) return
    this.sendScheduled = true
    setImmediate(() => {
      this.sendScheduled = false
      if (this.sent.length === 0) this.send()
    })
  }

  private send(): void {
    if (!this.running) return
    const batch = this.sink.takeOverdue?.() ?? this.current
    if (batch === undefined) return
    if (batch === this.current) this.current = undefined
    this.sent.push(batch)
    this.sink.commit(batch)
  }
}
