import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './free-port.js'

export interface RunningHaproxy {
  /** The one address the clients use: mqtt://127.0.0.1:PORT */
  url: string
  port: number
  stop(): Promise<void>
}

const BINARY = '/usr/sbin/haproxy'

/**
 * Debian's HAProxy in front of broker nodes, set up as the README shows: plain TCP, a health check every 500 ms
 * so a dead node leaves the rotation within about a second, and client/server timeouts longer than any MQTT
 * keep-alive so quiet connections are not cut. Connections are balanced by least connections.
 */
export function haproxyConfig(port: number, nodePorts: readonly number[]): string {
  return [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 10m',
    '  timeout server 10m',
    '  option redispatch',
    '  retries 2',
    'frontend mqtt',
    `  bind 127.0.0.1:${port}`,
    '  default_backend brokers',
    'backend brokers',
    '  balance leastconn',
    ...nodePorts.map((nodePort, index) => `  server node-${index + 1} 127.0.0.1:${nodePort} check inter 500 fall 2 rise 2`),
    ''
  ].join('\n')
}

/** Starts HAProxy in the foreground on a free loopback port; stop it in `t.after`. */
export async function startHaproxy(nodePorts: readonly number[]): Promise<RunningHaproxy> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: install Debian's haproxy package (npm test does)`)
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-haproxy-'))
  const port = await freePort()
  const file = join(dir, 'haproxy.cfg')
  writeFileSync(file, haproxyConfig(port, nodePorts))
  const child = spawn(BINARY, ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  await waitForListener(child, port)
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

async function waitForListener(child: ChildProcess, port: number): Promise<void> {
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-2000)))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-2000)))
  const deadline = Date.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`haproxy did not listen within 10 s: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
