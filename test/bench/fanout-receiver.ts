import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { exited, OutputTail } from './children.js'
import { FANOUT_RECEIVER } from './native-build.js'

/** The one line native/fanout-receiver.c prints on `report`. */
export interface ReceiverReport {
  /** From `reset` to `report`, by the receiver's clock. */
  seconds: number
  delivered: number
  bytes: number
  /** Socket reads and epoll wake-ups in the window: what the receiver's CPU goes on. */
  reads: number
  wakeups: number
  p50Ms: number | null
  p99Ms: number | null
  /** Deliveries read before they were sent: the two clocks disagree. */
  negativeLatencies: number
  subscribers: number
  /** Connections the broker closed during the run, and why the last one went. */
  lost: number
  lostReason: string
}

/**
 * The fan-out scenarios' subscribers: one native process holding every subscriber connection
 * (see native/fanout-receiver.c for why). It inherits the load generator's core pinning, so the
 * generator's CPU is this process's plus the generator's own.
 */
export class FanOutReceiver {
  private onReady: () => void = () => {}
  private reportLine: string | undefined

  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('fanout-receiver has no pid')
    return this.child.pid
  }

  /**
   * Resolves once every subscriber is connected and subscribed. `passMs` > 0: read each socket at
   * most that often, so each read takes more; it adds up to `passMs` to every latency.
   */
  static async start(port: number, subscribers: number, topic: string, idPrefix: string, passMs: number): Promise<FanOutReceiver> {
    if (!existsSync(FANOUT_RECEIVER)) throw new Error(`${FANOUT_RECEIVER} not found: run the bench through run.js, which builds it`)
    const child = spawn(FANOUT_RECEIVER, [String(port), String(subscribers), topic, idPrefix, String(Math.round(passMs * 1000))], {
      stdio: ['pipe', 'pipe', 'pipe']
    })
    const receiver = new FanOutReceiver(child)
    const output = new OutputTail(child, (line) => {
      if (line === 'ready') receiver.onReady()
      else if (line.startsWith('{')) receiver.reportLine = line
    })
    await new Promise<void>((resolve, reject) => {
      receiver.onReady = resolve
      child.once('error', reject)
      // Let readline deliver the last lines, which can trail the 'exit' event.
      child.once('exit', () => setImmediate(() => reject(new Error(`fanout-receiver ${how(child)} before it was ready:\n${output}`))))
    })
    return receiver
  }

  /** Opens the measured window: the receiver's counts start from zero. */
  reset(): void {
    this.child.stdin?.write('reset\n')
  }

  /** Closes the window: the receiver prints its counts and exits. */
  async stop(): Promise<ReceiverReport> {
    this.child.stdin?.write('report\n')
    await exited(this.child)
    await new Promise((resolve) => setImmediate(resolve))
    if (this.reportLine === undefined) throw new Error(`fanout-receiver ${how(this.child)} without a report`)
    return JSON.parse(this.reportLine) as ReceiverReport
  }

  /** Ends it at once, reported or not; the broker sees its connections reset. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

function how(child: ChildProcess): string {
  return `exited (${child.signalCode ?? `code ${child.exitCode}`})`
}
