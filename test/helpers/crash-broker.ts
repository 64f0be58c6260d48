import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * The broker as a child process (`node dist/bin/thermopost.js broker ...`), for tests that kill it,
 * restart it on the same data directory, or watch it refuse to start. Its stdout and stderr are kept
 * whole so a failing test can show them.
 */

/** dist/bin/thermopost.js, next to the compiled test tree. */
export const thermopostBin = fileURLToPath(new URL('../../bin/thermopost.js', import.meta.url))

export interface BrokerArgs {
  dataDir: string
  /** Defaults to 0 (a free port, read back from the log). */
  port?: number
  store?: 'sqlite' | 'memory'
  recover?: boolean
  extra?: string[]
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export function brokerArgs(args: BrokerArgs): string[] {
  return [
    thermopostBin,
    'broker',
    '--host',
    '127.0.0.1',
    '--port',
    String(args.port ?? 0),
    '--data-dir',
    args.dataDir,
    ...(args.store !== undefined ? ['--store', args.store] : []),
    ...(args.recover === true ? ['--recover'] : []),
    ...(args.extra ?? [])
  ]
}

/** A running broker process; `kill` waits for it to be gone. */
export class BrokerProcess {
  readonly exited: Promise<Exit>
  exit: Exit | undefined

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    out: () => string
  ) {
    this.output = out
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.exit = { code: child.exitCode, signal: child.signalCode }
        resolve(this.exit)
        return
      }
      child.once('close', (code, signal) => {
        this.exit = { code, signal }
        resolve(this.exit)
      })
    })
  }

  /** Everything the process wrote so far, stdout then stderr interleaved as they came. */
  readonly output: () => string

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  /** Starts the broker and resolves once its log names the port it listens on. */
  static async start(args: BrokerArgs, timeoutMs = 10_000): Promise<BrokerProcess> {
    const child = spawn(process.execPath, brokerArgs(args), { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`broker did not start within ${timeoutMs} ms:\n${out}`))
      }, timeoutMs)
      const look = (): void => {
        const match = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)
        if (match === null) return
        clearTimeout(timer)
        resolve(Number(match[1]))
      }
      child.stdout!.on('data', look)
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        reject(new StartError(`broker exited (code ${code}, signal ${signal}) before listening:\n${out}`, out))
      })
    })
    return new BrokerProcess(child, port, () => out)
  }

  /**
   * Starts the broker on `port` if it is still free, else on a free one: after a SIGKILL another
   * test running alongside may have taken the port.
   */
  static async restart(args: BrokerArgs & { port: number }): Promise<BrokerProcess> {
    try {
      return await BrokerProcess.start(args)
    } catch (error) {
      if (error instanceof StartError && error.output.includes('EADDRINUSE')) return await BrokerProcess.start({ ...args, port: 0 })
      throw error
    }
  }

  /** Sends `signal` (if still running) and waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.exit === undefined) this.child.kill(signal)
    return await this.exited
  }
}

/** The broker exited before it listened; `output` is what it wrote. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly output: string
  ) {
    super(message)
  }
}

export interface Finished extends Exit {
  output: string
}

/**
 * Runs a broker that is expected to refuse to start; resolves with how it ended. If it starts
 * listening instead it is killed and the result says so (code null, signal SIGKILL).
 */
export async function runToExit(args: BrokerArgs, timeoutMs = 10_000): Promise<Finished> {
  const child = spawn(process.execPath, brokerArgs(args), { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    if (/mqtt:\/\/127\.0\.0\.1:\d+/.test(out)) child.kill('SIGKILL')
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  clearTimeout(timer)
  return { ...exit, output: out }
}

/** A fresh temporary directory, removed after the test. */
export function tempDir(t: TestContext, prefix = 'thermopost-restart-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** `BrokerProcess.start`, with the process killed after the test if it is still running. */
export async function startBrokerProcess(t: TestContext, args: BrokerArgs): Promise<BrokerProcess> {
  const broker = await BrokerProcess.start(args)
  t.after(() => broker.kill('SIGKILL'))
  return broker
}
