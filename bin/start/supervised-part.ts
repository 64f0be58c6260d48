import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** One part of `thermopost start` as a supervised child process (SupervisedPart): how it is started, watched, restarted and stopped. */

export interface PartSpec {
  /** `broker`, `service`, `simulator`: the prefix of its log lines. */
  name: string
  /** The program and its arguments (`node dist/bin/thermopost.js broker ...`). */
  command: string
  args: string[]
  /** Added to the supervisor's environment; secrets travel here, never in argv (other users can read argv). */
  env?: Record<string, string>
  /** The output line that says the part is up; its match is what `start` resolves with. */
  ready: RegExp
}

export interface RestartPolicy {
  /** Restarts in a row before the part is given up (a run of `stableMs` or more starts the count again). */
  maxRestarts: number
  /** The first wait before a restart; each further one doubles, up to `maxDelayMs`. */
  firstDelayMs: number
  maxDelayMs: number
  /** A run at least this long counts as healthy. */
  stableMs: number
}

export const defaultRestartPolicy: Readonly<RestartPolicy> = { maxRestarts: 5, firstDelayMs: 1000, maxDelayMs: 30_000, stableMs: 30_000 }

/** The part stopped before it was ever ready, or kept dying: what it last said. */
export class PartFailedError extends Error {
  constructor(
    readonly part: string,
    readonly lastLines: string[],
    reason: string
  ) {
    super(`${part} ${reason}${lastLines.length > 0 ? `; its last output:\n  ${lastLines.join('\n  ')}` : ''}`)
    this.name = 'PartFailedError'
  }
}

export interface PartEvents {
  /** Every output line, stdout and stderr. */
  line(part: string, line: string): void
  /** Supervisor news about the part: restarts, giving up. */
  notice(part: string, message: string): void
  /** The part was given up after too many restarts. */
  failed(error: PartFailedError): void
}

/** Lines of output kept to explain a failure. */
const KEPT_LINES = 20
/** How long a part has to exit after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 10_000

/**
 * One part of the all-in-one start as a child process, kept running: a part that dies after it was ready
 * is restarted after a backoff that doubles (1 s, 2 s, 4 s ... 30 s) and is reported; after `maxRestarts`
 * deaths in a row (a restart that dies before it is ready counts too) it is given up and its last output
 * shown, instead of looping. A part whose very first run exits before it is ready has a problem no restart
 * fixes (a bad config, a port in use): `start` rejects at once.
 */
export class SupervisedPart {
  private child: ChildProcess | undefined
  private stopping = false
  private restarts = 0
  private lastLines: string[] = []
  private restartTimer: NodeJS.Timeout | undefined
  /** It was ready once: from then on, deaths are restarted. */
  private everReady = false

  constructor(
    readonly spec: PartSpec,
    private readonly events: PartEvents,
    private readonly policy: RestartPolicy = defaultRestartPolicy
  ) {}

  /** Runs the part; resolves with the ready line's match, or rejects with PartFailedError if it exits first. */
  start(): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      this.run(
        (match) => resolve(match),
        (error) => reject(error)
      )
    })
  }

  /** SIGTERM (SIGKILL after a grace period); no restart follows. */
  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.restartTimer)
    const child = this.child
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    // 'close', not 'exit': the part's last lines (its summary) may still be in the pipe when it exits.
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    await exited
    clearTimeout(killer)
  }

  private run(onReady: (match: RegExpMatchArray) => void, onNeverReady: (error: PartFailedError) => void): void {
    const { spec } = this
    // Its own process group: Ctrl-C in a terminal reaches only the supervisor, which then stops the parts
    // in order (devices offline first, the broker last) instead of all at once.
    const child = spawn(spec.command, spec.args, {
      env: { ...process.env, ...spec.env },
      // The IPC channel is how a part knows its supervisor is gone, however it went (common/close-on-signals.ts).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true
    })
    this.child = child
    const orphanGuard = (): void => {
      child.kill('SIGKILL')
    }
    process.once('exit', orphanGuard)
    child.once('exit', () => process.off('exit', orphanGuard))
    const startedAt = Date.now()
    let ready = false
    const onLine = (line: string): void => {
      this.lastLines.push(line)
      if (this.lastLines.length > KEPT_LINES) this.lastLines.shift()
      this.events.line(spec.name, line)
      if (ready) return
      const match = spec.ready.exec(line)
      if (match !== null) {
        ready = true
        this.everReady = true
        onReady(match)
      }
    }
    createInterface({ input: child.stdout! }).on('line', onLine)
    createInterface({ input: child.stderr! }).on('line', onLine)
    child.once('error', (error) => onLine(`cannot start: ${error.message}`))
    child.once('close', (code, signal) => {
      if (this.stopping) return
      const how = signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`
      if (!this.everReady) {
        onNeverReady(new PartFailedError(spec.name, this.lastLines, `${how} before it was ready`))
        return
      }
      if (Date.now() - startedAt >= this.policy.stableMs) this.restarts = 0
      if (this.restarts >= this.policy.maxRestarts) {
        this.events.failed(
          new PartFailedError(spec.name, this.lastLines, `${how}, and was given up after ${this.restarts} restarts in a row`)
        )
        return
      }
      const delay = Math.min(this.policy.maxDelayMs, this.policy.firstDelayMs * 2 ** this.restarts)
      this.restarts++
      this.events.notice(spec.name, `${how}; restart ${this.restarts} of at most ${this.policy.maxRestarts} in ${delay / 1000} s`)
      this.restartTimer = setTimeout(() => {
        this.run(
          () => this.events.notice(spec.name, 'back up'),
          () => {}
        )
      }, delay)
    })
  }
}
