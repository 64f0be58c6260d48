import type { Logger } from 'pino'
import { flushAfterTick, onDrainTimeout, onSocketDrain, type WriteTarget } from './connection-callbacks.js'
import { joinedPackets } from './joined-packets.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { BrokerOptions } from './options.js'
import { SocketBacklogGate, socketBacklogLimits } from './socket-backlog-gate.js'
import type { BrokerStats } from './stats.js'

/** What the write side of a connection needs from the broker. */
export interface WriterHost {
  readonly options: Readonly<Pick<BrokerOptions, 'drainTimeout' | 'maxQueuedBytes'>>
  readonly stats: BrokerStats
  readonly logger: Logger
}

/**
 * Past this many bytes, a tick's packets for one socket are written as they are (the socket corked around them)
 * instead of being copied into one Buffer: what a slow reader leaves in its socket would otherwise be held twice,
 * once in the messages and once in the copy. A socket read brings at most 64 KB, so the packets one PUBLISH
 * chunk fans out to a subscriber fit.
 */
const JOIN_LIMIT = 64 * 1024

/**
 * The write side of a connection: packets written in one tick go out together when the tick's work is done,
 * in one system call, and a client that stops reading is cut off after the drain timeout. Most connections
 * get one packet in a tick (a fan-out at a modest rate): that one is written alone at the end of the tick.
 * Several are joined into one Buffer (joined-packets.ts), shared with every other subscriber that got the same
 * packets, and written with one plain write: a corked socket would gather them too, but through a stream entry
 * per packet and a writev, which cost more of the broker's time per delivery than the delivery's own work.
 * A client that reads slower than it is sent QoS 0 messages holds their publishers (socket-backlog-gate.ts).
 */
export abstract class SocketWriter implements WriteTarget {
  /** This tick's first write, and the others after it (the array is kept for the next tick's). */
  private held: Buffer | undefined
  private heldMore: Buffer[] | undefined
  private heldBytes = 0
  private drainTimer: NodeJS.Timeout | undefined
  /** Made when the socket's backlog first reaches its mark: a client that keeps up pays nothing. */
  private backlogGate: SocketBacklogGate | undefined

  constructor(
    readonly socket: ClientSocket,
    protected readonly host: WriterHost
  ) {}

  /** Who is cut off, for the log line. */
  abstract get clientId(): string

  protected write(bytes: Buffer): void {
    this.host.stats.bytesSent += bytes.length
    this.heldBytes += bytes.length
    if (this.held === undefined) {
      this.held = bytes
      flushAfterTick(this)
    } else {
      this.heldMore ??= []
      this.heldMore.push(bytes)
    }
  }

  /** Sends what this tick wrote (called at the end of the tick, and before the connection closes). */
  flush(): void {
    const held = this.held
    if (held === undefined) return
    const more = this.heldMore
    const bytes = this.heldBytes
    this.held = undefined
    this.heldBytes = 0
    if (this.socket.destroyed) {
      if (more !== undefined) more.length = 0
    } else if (more === undefined || more.length === 0) {
      this.writeToSocket(held)
    } else if (bytes <= JOIN_LIMIT) {
      this.writeToSocket(joinedPackets(held, more, bytes))
      more.length = 0
    } else {
      this.socket.cork()
      this.writeToSocket(held)
      for (let i = 0; i < more.length; i++) this.writeToSocket(more[i])
      more.length = 0
      this.socket.uncork()
    }
  }

  /** The bytes written to this connection and not yet taken by the kernel: the socket's, and this tick's not yet flushed. */
  get writableLength(): number {
    return this.socket.writableLength + this.heldBytes
  }

  /** Whether a QoS 0 message would only pile up in a socket the client is not reading: past max_queued_bytes, or stalled. */
  get isCongested(): boolean {
    return this.writableLength > this.host.options.maxQueuedBytes || this.backlogGate?.isStalled === true
  }

  /** After a QoS 0 message was written: what its publisher waits for while the socket's backlog is past its mark. */
  socketBacklogWait(): Promise<void> | undefined {
    if (this.backlogGate === undefined) {
      // This tick's packets alone are no backlog: they go to the kernel at the end of the tick.
      if (this.socket.writableLength === 0) return undefined
      const { maxQueuedBytes, drainTimeout } = this.host.options
      this.backlogGate = new SocketBacklogGate(this, socketBacklogLimits(maxQueuedBytes, drainTimeout))
    }
    return this.backlogGate.afterWrite()
  }

  drained(): void {
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
    this.backlogGate?.release()
  }

  drainTimedOut(): void {
    this.drainTimer = undefined
    this.host.logger.warn({ clientId: this.clientId }, 'client stopped reading; closing')
    this.socket.destroy()
  }

  /** The connection has ended: no drain to wait for. */
  protected stopWriting(): void {
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
    this.backlogGate?.release()
  }

  private writeToSocket(bytes: Buffer): void {
    if (!this.socket.write(bytes) && this.drainTimer === undefined) {
      this.drainTimer = setTimeout(onDrainTimeout, this.host.options.drainTimeout * 1000, this)
      this.socket.once('drain', onSocketDrain)
    }
  }
}
