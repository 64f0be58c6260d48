import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { distinctFreePorts } from './free-port.js'

export interface RunningInfluxd {
  host: string
  port: number
  /** http://127.0.0.1:PORT */
  url: string
  /** Milliseconds from spawn until /ping answered: startup time matters because every test file pays it. */
  startupMs: number
  stop(): Promise<void>
}

/**
 * Everything influxd would otherwise take from /etc/influxdb: loopback only (the RPC bind-address too, which
 * defaults to :8088 on every interface), directories of its own, and the background services a test does not
 * need switched off so they neither write nor log.
 */
function configFor(dir: string, httpPort: number, rpcPort: number): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  bind-address = "127.0.0.1:${httpPort}"
  log-enabled = false
[logging]
  level = "error"
`
}

async function pinged(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ping`)).status === 204
  } catch {
    return false
  }
}

async function waitForPing(url: string, child: ChildProcess, stderr: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await pinged(url))) {
    if (child.exitCode !== null) throw new Error(`influxd exited with ${child.exitCode}: ${stderr()}`)
    if (Date.now() > deadline) throw new Error(`influxd did not answer /ping within ${timeoutMs} ms: ${stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** A real influxd (Debian's influxdb package) on free loopback ports with temporary data; stop it in `t.after`. */
export async function startInfluxd(binary = '/usr/bin/influxd'): Promise<RunningInfluxd> {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: install Debian's influxdb package (npm test does)`)
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-influxd-'))
  const [httpPort, rpcPort] = await distinctFreePorts(2)
  const config = join(dir, 'influxdb.conf')
  writeFileSync(config, configFor(dir, httpPort, rpcPort))
  const started = performance.now()
  const child = spawn(binary, ['run', '-config', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let errors = ''
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-2000)
  })
  const url = `http://127.0.0.1:${httpPort}`
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await once(child, 'exit')
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPing(url, child, () => errors, 15_000)
  } catch (error) {
    await stop()
    throw error
  }
  return { host: '127.0.0.1', port: httpPort, url, startupMs: performance.now() - started, stop }
}
