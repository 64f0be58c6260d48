/** The part of a socket the gate watches: the bytes written to it and not yet taken by the kernel. */
export interface BacklogSource {
  readonly writableLength: number
}

/**
 * A socket backlog past this holds the publishers of QoS 0 messages to it: far above what a client that keeps up
 * leaves behind (the kernel takes the writes of a tick at once), and far below the default max_queued_bytes, so a
 * client that reads slowly costs a quarter of a megabyte of the broker's memory instead of the whole queue limit.
 */
const SOCKET_BACKLOG_MARK = 256 * 1024

/** How often a closed gate looks at its socket: for the low mark, and for a client that takes nothing. */
const CHECK_MS = 250

/** The longest a client that takes nothing from its socket holds its publishers (less when drain_timeout is short). */
const STALL_MS = 5000

/** Where the gate of a socket closes, and how long it waits for a client that takes nothing. */
export interface SocketBacklogLimits {
  readonly highBytes: number
  readonly stallMs: number
}

/** The limits under the broker's max_queued_bytes (half of it at most, as for a session's queue) and drain_timeout. */
export function socketBacklogLimits(maxQueuedBytes: number, drainTimeoutSeconds: number): SocketBacklogLimits {
  return {
    highBytes: Math.max(1, Math.min(SOCKET_BACKLOG_MARK, Math.floor(maxQueuedBytes / 2))),
    stallMs: Math.min(STALL_MS, (drainTimeoutSeconds * 1000) / 2)
  }
}

/**
 * The back-pressure of one client's socket on whoever publishes QoS 0 messages to it, as backlog-gate.ts is for a
 * session's queue of QoS 1/2 messages: QoS 0 messages are written to the socket at once, so a client that reads
 * slower than its publishers send lets its socket's backlog grow instead of a queue.
 * Invariant: `opened` is set exactly while the gate is closed. It closes when the backlog reaches the high mark and
 * opens when the socket drains or its backlog is down to a quarter of the mark, or when the connection ends. A
 * client whose backlog has not shrunk for `stallMs` is stalled: the gate opens, and the client's QoS 0 messages are
 * dropped (`isStalled`) until its backlog is down to the low mark; drain_timeout later the connection is closed.
 */
export class SocketBacklogGate {
  private opened: Promise<void> | undefined
  private open: (() => void) | undefined
  private stalled = false
  /** The backlog at the last check, and when it last shrank. */
  private lastBacklog = 0
  private lastProgressAt = 0
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly socket: BacklogSource,
    private readonly limits: SocketBacklogLimits
  ) {}

  /** The client takes nothing: its QoS 0 messages are dropped instead of written. */
  get isStalled(): boolean {
    return this.stalled
  }

  /** After a write to the socket: what the message's publisher must wait for, if anything. */
  afterWrite(): Promise<void> | undefined {
    if (this.opened !== undefined || this.stalled) return this.opened
    const backlog = this.socket.writableLength
    if (backlog < this.limits.highBytes) return undefined
    this.opened = new Promise((resolve) => {
      this.open = resolve
    })
    this.lastBacklog = backlog
    this.lastProgressAt = Date.now()
    this.timer ??= setInterval(checkGate, CHECK_MS, this).unref()
    return this.opened
  }

  /** Lets every held publisher go and stops watching: the socket drained, or the connection ended. */
  release(): void {
    this.stalled = false
    clearInterval(this.timer)
    this.timer = undefined
    this.letGo()
  }

  /** @internal the timer's callback */
  check(now: number): void {
    const backlog = this.socket.writableLength
    if (backlog * 4 <= this.limits.highBytes) {
      this.release()
      return
    }
    if (backlog < this.lastBacklog) this.lastProgressAt = now
    this.lastBacklog = backlog
    if (!this.stalled && now - this.lastProgressAt >= this.limits.stallMs) {
      this.stalled = true // the timer goes on, to see the client catch up
      this.letGo()
    }
  }

  private letGo(): void {
    const open = this.open
    this.opened = undefined
    this.open = undefined
    open?.()
  }
}

function checkGate(gate: SocketBacklogGate): void {
  gate.check(Date.now())
}
