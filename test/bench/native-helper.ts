import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { exited, OutputTail } from './children.js'

/**
 * One of the load generator's native programs (native/*.c): it connects, prints "ready", then takes
 * `reset` (open the measured window) and `report` (close it, print one JSON line, exit) on stdin. It
 * inherits the load generator's core pinning, so the generator's CPU is its own plus theirs.
 */
export class NativeHelper<Report> {
  private onReady: () => void = () => {}
  private reportLine: string | undefined

  private constructor(
    private readonly name: string,
    private readonly child: ChildProcess
  ) {}

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.name} has no pid`)
    return this.child.pid
  }

  /** Resolves once the program has said it is ready: every connection open, the load started. */
  static async start<Report>(binary: string, args: readonly string[]): Promise<NativeHelper<Report>> {
    const name = binary.slice(binary.lastIndexOf('/') + 1)
    if (!existsSync(binary)) throw new Error(`${binary} not found: run the bench through run.js, which builds it`)
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] })
    const helper = new NativeHelper<Report>(name, child)
    const output = new OutputTail(child, (line) => {
      if (line === 'ready') helper.onReady()
      else if (line.startsWith('{')) helper.reportLine = line
    })
    await new Promise<void>((resolve, reject) => {
      helper.onReady = resolve
      child.once('error', reject)
      // Let readline deliver the last lines, which can trail the 'exit' event.
      child.once('exit', () => setImmediate(() => reject(new Error(`${name} ${how(child)} before it was ready:\n${output}`))))
    })
    return helper
  }

  /** Opens the measured window: counts start from zero. */
  reset(): void {
    this.command('reset')
  }

  /** One command line of the program's own (ingest's `credit N`). */
  command(line: string): void {
    this.child.stdin?.write(`${line}\n`)
  }

  /** Closes the window: the program prints its counts and exits. */
  async report(): Promise<Report> {
    this.command('report')
    await exited(this.child)
    await new Promise((resolve) => setImmediate(resolve))
    if (this.reportLine === undefined) throw new Error(`${this.name} ${how(this.child)} without a report`)
    return JSON.parse(this.reportLine) as Report
  }

  /** Ends it at once, reported or not; the broker sees its connections reset. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }
}

function how(child: ChildProcess): string {
  return `exited (${child.signalCode ?? `code ${child.exitCode}`})`
}
