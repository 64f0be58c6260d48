import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { thermopostBin } from './crash-broker.js'

/** `thermopost start` as its users run it, for the supervisor's tests: started, stopped, its parts found in /proc. */

export interface Started {
  child: ChildProcess
  output: () => string
  dashboard: string
}

export async function start(t: TestContext, dataDir: string, extraEnv: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, [thermopostBin, 'start', '--devices', '2'], {
    env: { ...process.env, THERMOPOST_DATA_DIR: dataDir, THERMOPOST_MQTT_PORT: '0', THERMOPOST_HTTP_PORT: '0', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let output = ''
  const dashboard = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard URL within 30 s: ${output}`)), 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}: ${output}`))
    })
  })
  return { child, output: () => output, dashboard }
}

/**
 * Sends the signal (Ctrl-C by default) and resolves with the exit code once the output is complete: 'close',
 * not 'exit', which can come while the last lines (the parts' stop lines) are still in the pipe.
 */
export async function stop({ child }: Started, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  const closed = once(child, 'close') as Promise<[number | null]>
  child.kill(signal)
  const [code] = await closed
  return code
}

export function emptyDataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-start-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

/** The processes whose parent is `pid` (read from /proc: the parts run in process groups of their own). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid
      } catch {
        return false // gone meanwhile
      }
    })
    .map(Number)
}

/** Those of `pids` still alive once all are gone or `waitMs` is over. */
export async function stillRunning(pids: number[], waitMs: number): Promise<number[]> {
  const deadline = Date.now() + waitMs
  for (;;) {
    const alive = pids.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))
    if (alive.length === 0 || Date.now() >= deadline) return alive
    await sleep(100)
  }
}
