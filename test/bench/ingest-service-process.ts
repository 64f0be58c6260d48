import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { exited, OutputTail } from './children.js'

/** What the bench's service process (ingest-service.ts) hears from its parent over IPC. */
export type IngestServiceRequest = { type: 'reset' } | { type: 'report' }

/** What it says: ready once subscribed, each write's running total, and a report when asked. */
export type IngestServiceMessage = { type: 'ready' } | { type: 'stored'; total: number } | { type: 'report'; report: IngestServiceReport }

/** Since the last reset: readings stored and their publish → stored latency. */
export interface IngestServiceReport {
  stored: number
  p50Ms: number | null
  p99Ms: number | null
}

const SCRIPT = fileURLToPath(new URL('./ingest-service.js', import.meta.url))
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 15_000

/**
 * The thermopost service (startService on SQLite) in a process of its own, pinned to one core, so its CPU and
 * memory are measured apart from the broker's and the generator's; the parent hears every stored write.
 * If the parent dies, the IPC channel closes and the service stops with it.
 */
export class IngestServiceProcess {
  /** Readings stored since the start. */
  stored = 0
  /** Called after each write the service stored. */
  onStored: () => void = () => {}
  private pendingReport: ((report: IngestServiceReport) => void) | undefined

  private constructor(
    private readonly child: ChildProcess,
    private readonly output: OutputTail
  ) {
    child.on('message', (message: IngestServiceMessage) => {
      if (message.type === 'stored') {
        this.stored = message.total
        this.onStored()
      } else if (message.type === 'report') {
        this.pendingReport?.(message.report)
        this.pendingReport = undefined
      }
    })
  }

  static async start(brokerUrl: string, core: number): Promise<IngestServiceProcess> {
    // taskset execs node, which keeps the IPC channel's descriptor.
    const child = spawn('taskset', ['-c', String(core), process.execPath, SCRIPT, brokerUrl], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    const output = new OutputTail(child)
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`bench service not ready within ${READY_TIMEOUT_MS} ms\n${output}`)),
        READY_TIMEOUT_MS
      )
      child.once('exit', () => {
        clearTimeout(timer)
        reject(new Error(`bench service exited before it was ready\n${output}`))
      })
      child.on('message', (message: IngestServiceMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    try {
      await ready
    } catch (error) {
      child.kill('SIGKILL')
      throw error
    }
    return new IngestServiceProcess(child, output)
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the bench service has no pid')
    return this.child.pid
  }

  reset(): void {
    this.child.send({ type: 'reset' } satisfies IngestServiceRequest)
  }

  report(): Promise<IngestServiceReport> {
    return new Promise((resolve) => {
      this.pendingReport = resolve
      this.child.send({ type: 'report' } satisfies IngestServiceRequest)
    })
  }

  /** Closes the channel, which stops the service cleanly; killed if it takes too long. Returns what went wrong. */
  async stop(): Promise<string[]> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return [`bench service had exited early:\n${this.output}`]
    const problems: string[] = []
    const timer = setTimeout(() => {
      problems.push(`bench service did not stop within ${STOP_TIMEOUT_MS} ms; killed`)
      this.child.kill('SIGKILL')
    }, STOP_TIMEOUT_MS)
    this.child.disconnect()
    await exited(this.child)
    clearTimeout(timer)
    if (this.child.exitCode !== 0 && problems.length === 0)
      problems.push(`bench service exited (${this.child.signalCode ?? `code ${this.child.exitCode}`}):\n${this.output}`)
    return problems
  }
}
