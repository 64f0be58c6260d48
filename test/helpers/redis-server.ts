import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './free-port.js'

export interface RedisServerOptions {
  /** The AOF fsync policy; 'always' unless a test is about a weaker one. */
  appendfsync?: 'always' | 'everysec' | 'no'
  /** Refuse CONFIG, as many managed Redis services do. */
  withoutConfigCommand?: boolean
}

export interface RunningRedis {
  port: number
  /** redis://127.0.0.1:PORT */
  url: string
  /** The process id of the redis-server running now (a `restart` starts another). */
  readonly pid: number
  /** Kills redis-server with SIGKILL: no chance to write anything more. */
  crash(): Promise<void>
  /** Starts it again on the same port and files, after `crash`. */
  restart(): Promise<void>
  /** Stops it and removes its files. */
  stop(): Promise<void>
}

const BINARY = '/usr/bin/redis-server'

/** Loopback only, no RDB snapshots, every write in the append-only file: what the store's no-loss promise asks for. */
export const DURABLE_REDIS_ARGS = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--daemonize', 'no', '--logfile', '']

/**
 * A real redis-server (Debian's redis-server package) on a free loopback port, its AOF in a temporary directory and
 * no RDB snapshots, so only the append-only file keeps data; stop it in `t.after`.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RunningRedis> {
  const dir = redisTempDir()
  const port = await freePort()
  const args = ['--port', String(port), ...DURABLE_REDIS_ARGS, '--appendfsync', options.appendfsync ?? 'always', '--dir', dir]
  if (options.withoutConfigCommand === true) args.push('--rename-command', 'CONFIG', '')
  let child = await launchRedis(args, port)
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid!
    },
    crash: () => stopProcess(child, 'SIGKILL'),
    async restart() {
      child = await launchRedis(args, port)
    },
    async stop() {
      await stopProcess(child, 'SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

/** A new temporary directory for Redis's files; checks first that redis-server is installed. */
export function redisTempDir(): string {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: install Debian's redis-server package (npm test does)`)
  return mkdtempSync(join(tmpdir(), 'thermopost-redis-'))
}

/**
 * Sends the signal unless the process has ended, and waits for it to end; SIGKILL after 5 s (a cluster node can
 * linger on SIGTERM while its peers are going away too).
 */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** One command through redis-cli to the Redis (or Sentinel) on the port; its answer as text. Killed after 60 s. */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 60_000 })
  return stdout
}

/** Starts redis-server with the arguments (`--sentinel` among them for a Sentinel) and waits until it answers PING. */
export async function launchRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-2000)
  }
  child.stdout!.setEncoding('utf8').on('data', keep)
  child.stderr!.setEncoding('utf8').on('data', keep)
  const deadline = Date.now() + 10_000
  while (!(await pongs(port))) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not answer PING within 10 s: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return child
}

/** Whether a Redis on the port answers PING with PONG (and has loaded its AOF: while loading it answers -LOADING). */
function pongs(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('utf8')
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk: string) => {
      answer += chunk
      if (answer.includes('\r\n')) {
        socket.destroy()
        resolve(answer.startsWith('+PONG'))
      }
    })
    socket.on('error', () => resolve(false))
  })
}

/** Polls `check` every 50 ms until it holds; throws after `timeoutMs`. */
export async function pollUntil(check: () => Promise<boolean>, timeoutMs = 20_000, what = 'the Redis setup to be ready'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
