/** How far a connected session's queue may grow before it holds its publishers, and where it lets them go. */
export interface BacklogMarks {
  readonly highMessages: number
  readonly highBytes: number
}

/**
 * A connected session's queue past this many in-flight windows holds its publishers: a few windows keep the client
 * fed while they come back, and a short queue keeps latency and memory low. Half the queue's limit at most, so
 * publishers that are read until they are held (one PUBLISH each) do not push it over the limit.
 */
const WINDOWS_QUEUED = 4
/**
 * The same for a session written to the store, where every queued message is a row written and deleted: behind a
 * short line a message is more often sent and acknowledged within the batch that queued it, which then writes
 * nothing of it (sqlite-batch.ts). Durable QoS 1 fan-in, one round each on a loaded machine: about 20 % less
 * broker CPU per delivery than with 4 windows; in memory the longer line does better.
 */
const STORED_WINDOWS_QUEUED = 1

/** The marks of a session whose in-flight window is `sendWindow`, under the queue limits of its broker. */
export function backlogMarks(sendWindow: number, stored: boolean, maxQueuedMessages: number, maxQueuedBytes: number): BacklogMarks {
  const windows = stored ? STORED_WINDOWS_QUEUED : WINDOWS_QUEUED
  return {
    highMessages: Math.max(1, Math.min(Math.floor(maxQueuedMessages / 2), windows * sendWindow)),
    highBytes: Math.max(1, Math.floor(maxQueuedBytes / 2))
  }
}

/**
 * The back-pressure of one connected session on whoever publishes to it (Mosquitto drops instead: a subscriber
 * behind its max_inflight gets max_queued_messages, then loses the newest; we hold the publishers, so nothing is lost).
 * Invariant: `opened` is set exactly while the gate is closed. It closes when the queue behind the in-flight window
 * reaches its high mark, and opens when the queue is down to half of it (the low mark, so publishers come back in
 * bursts rather than one message at a time), when the session goes offline or ends (an offline queue is bounded
 * by its limit alone), or when the client took nothing for `stallMs`: a client that stopped acknowledging does not
 * hold its publishers for ever. Such a stalled session holds no one until its queue is down to the low mark again;
 * meanwhile its queue falls back to its limit, the oldest dropped.
 */
export class BacklogGate {
  private opened: Promise<void> | undefined
  private open: (() => void) | undefined
  private stalled = false
  /** Takes since the stall timer was armed: none by the time it fires means the client stalled. */
  private taken = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly marks: BacklogMarks,
    private readonly stallMs: number
  ) {}

  /** The queue grew to `length` messages, `bytes` payload bytes: what its publisher must wait for, if anything. */
  afterPush(length: number, bytes: number): Promise<void> | undefined {
    if (this.opened !== undefined || this.stalled) return this.opened
    if (length < this.marks.highMessages && bytes < this.marks.highBytes) return undefined
    this.opened = new Promise((resolve) => {
      this.open = resolve
    })
    this.armStallTimer()
    return this.opened
  }

  /** The client took messages from the queue, which now holds `length` messages, `bytes` payload bytes. */
  afterTake(length: number, bytes: number): void {
    this.taken++
    if (length * 2 > this.marks.highMessages || bytes * 2 > this.marks.highBytes) return
    this.stalled = false
    this.release()
  }

  /** Lets every held publisher go: the session went offline, ended, or stalled. */
  release(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    const open = this.open
    this.opened = undefined
    this.open = undefined
    open?.()
  }

  private armStallTimer(): void {
    this.taken = 0
    this.timer = setTimeout(() => this.checkStalled(), this.stallMs)
    this.timer.unref()
  }

  private checkStalled(): void {
    if (this.taken > 0) {
      this.armStallTimer()
      return
    }
    this.stalled = true
    this.release()
  }
}
