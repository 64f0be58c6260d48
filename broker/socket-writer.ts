import type { Logger } from 'pino'
import { flushAfterTick, onDrainTimeout, onSocketDrain, type WriteTarget } from './connection-callbacks.js'
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
 * The write side of a connection: packets written in one tick go out together when the tick's work is done,
 * in one system call, and a client that stops reading is cut off after the drain timeout. Most connections
 * get one packet in a tick (a fan-out): that one is held and written alone at the end of the tick, without
 * the cost of corking the socket; a second write in the same tick corks it and the stream gathers them.
 * A client that reads slower than it is sent QoS 0 messages holds their publishers (socket-backlog-gate.ts).
 */
export abstract class SocketWriter implements WriteTarget {
  /** This tick's only write so far; undefined once the socket is corked for a second one. */
  private held: Buffer | undefined
  private corked = false
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
    if (this.corked) {
      this.writeToSocket(bytes)
    } else if (this.held === undefined) {
      this.held = bytes
      flushAfterTick(this)
    } else {
      this.corked = true
      this.socket.cork()
      this.writeToSocket(this.held)
      this.held = undefined
      this.writeToSocket(bytes)
    }
  }

  /** Sends what this tick wrote (called at the end of the tick, and before the connection closes). */
  flush(): void {
    const held = this.held
    if (held !== undefined) {
      this.held = undefined
      if (!this.socket.destroyed) this.writeToSocket(held)
    } else if (this.corked) {
      this.corked = false
      this.socket.uncork()
    }
  }

  /** Whether a QoS 0 message would only pile up in a socket the client is not reading: past max_queued_bytes, or stalled. */
  get isCongested(): boolean {
    return this.socket.writableLength > this.host.options.maxQueuedBytes || this.backlogGate?.isStalled === true
  }

  /** After a QoS 0 message was written: what its publisher waits for while the socket's backlog is past its mark. */
  socketBacklogWait(): Promise<void> | undefined {
    if (this.backlogGate === undefined) {
      if (this.socket.writableLength === 0) return undefined
      const { maxQueuedBytes, drainTimeout } = this.host.options
      this.backlogGate = new SocketBacklogGate(this.socket, socketBacklogLimits(maxQueuedBytes, drainTimeout))
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
