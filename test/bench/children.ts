import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const running = new Set<ChildProcess>()

/**
 * Starts `command` pinned to one CPU core. taskset execs the command, so the child's pid is the
 * command's own pid, the one whose /proc entries the bench reads.
 */
export function spawnPinned(core: number, command: string, args: readonly string[], cwd?: string): ChildProcess {
  const child = spawn('taskset', ['-c', String(core), command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd })
  running.add(child)
  child.once('exit', () => running.delete(child))
  child.once('error', () => running.delete(child))
  return child
}

/** Kills every child still running. Synchronous, so it also works from a process 'exit' handler. */
export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL')
}

/**
 * Reads a child's stdout and stderr line by line (the pipes must be drained or the child blocks
 * once they fill), keeping the last lines to explain a crash.
 */
export class OutputTail {
  private readonly lines: string[] = []

  constructor(
    child: ChildProcess,
    onLine: (line: string) => void = () => {},
    private readonly keep = 20
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue
      createInterface({ input: stream }).on('line', (line) => {
        this.lines.push(line)
        if (this.lines.length > this.keep) this.lines.shift()
        onLine(line)
      })
    }
  }

  toString(): string {
    return this.lines.join('\n')
  }
}

/** Resolves when the child has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}
