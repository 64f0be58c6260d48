import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { thermopostBin } from '../helpers/crash-broker.js'
import { cpuProfileArgs } from './broker-settings.js'
import { exited, OutputTail } from './children.js'
import { waitForPort } from './ports.js'

const MOSQUITTO = '/usr/sbin/mosquitto'

/**
 * The site brokers the bridge bench compares, each at its defaults plus only what `settings` lists: what stops it
 * dropping messages, and where a setting helps one scenario and hurts another, the peer both ways.
 */
export interface SiteVariant {
  name: string
  broker: 'thermopost' | 'mosquitto'
  /** The lines beyond the defaults, as written in its config file, each with why. */
  settings: ReadonlyArray<{ line: string; why: string }>
}

const MOSQUITTO_QUEUE = {
  line: 'max_queued_messages 0',
  why: "no limit on the bridge's queue: at its default, 1 000, Mosquitto drops what the drain queues past it"
}
const MOSQUITTO_RESTART = { line: 'restart_timeout 1', why: 'back 1 s after the remote returns, as ours (0.5 to 1 s)' }

export const SITE_VARIANTS: readonly SiteVariant[] = [
  {
    name: 'thermopost',
    broker: 'thermopost',
    settings: [
      {
        line: 'queue_max_messages: 1000000',
        why: "the bridge's queue holds the drain's 100 000 and what the forwarding runs left (default 100 000)"
      },
      { line: 'restart_delay: 0.5', why: 'back soon after the remote returns (default 5 s)' },
      { line: 'restart_delay_max: 1', why: 'the same after several failed attempts (default 30 s)' }
    ]
  },
  { name: 'mosquitto', broker: 'mosquitto', settings: [MOSQUITTO_QUEUE, MOSQUITTO_RESTART] },
  {
    name: 'mosquitto-inflight100',
    broker: 'mosquitto',
    settings: [
      MOSQUITTO_QUEUE,
      MOSQUITTO_RESTART,
      {
        line: 'max_inflight_messages 100',
        why: "100 QoS 1 messages in flight to the remote, as our bridge's window (default 20): faster QoS 1, more memory per client"
      }
    ]
  }
]

export interface Process {
  child: ChildProcess
  output: OutputTail
}

function start(command: string, args: string[]): Process {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return { child, output: new OutputTail(child) }
}

export async function stop(running: Process | undefined): Promise<void> {
  if (running === undefined) return
  running.child.kill('SIGTERM')
  await exited(running.child)
}

/** Waits for `running` to listen on `port`; the error, should it not, ends with what it wrote. */
async function untilListening(port: number, running: Process): Promise<void> {
  await waitForPort(port, 10_000).catch((error: Error) => {
    throw new Error(`${error.message}:\n${running.output}`)
  })
}

/** The remote: Mosquitto keeping sessions across its restarts, with no limit on what it queues for them. */
export async function startRemote(dir: string, port: number): Promise<Process> {
  const file = join(dir, 'remote.conf')
  writeFileSync(
    file,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 0']
      .concat(['max_queued_messages 0', 'max_queued_bytes 0', ''])
      .join('\n')
  )
  const remote = start(MOSQUITTO, ['-c', file])
  await untilListening(port, remote)
  return remote
}

/** The site broker with its bridge forwarding bench/# out at QoS 1 to the remote. */
export async function startSite(variant: SiteVariant, dir: string, port: number, remotePort: number): Promise<Process> {
  const settings = variant.settings.map((setting) => setting.line)
  if (variant.broker === 'mosquitto') {
    const file = join(dir, 'site.conf')
    const bridge = ['connection cloud', `address 127.0.0.1:${remotePort}`, 'topic bench/# out 1', 'remote_clientid site-mosquitto']
    const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...settings.filter((line) => !line.startsWith('restart'))]
    writeFileSync(file, [...lines, ...bridge, ...settings.filter((line) => line.startsWith('restart')), ''].join('\n'))
    const site = start(MOSQUITTO, ['-c', file])
    await untilListening(port, site)
    return site
  }
  const file = join(dir, 'site.yaml')
  const bridge = [`    address: mqtt://127.0.0.1:${remotePort}`, '    client_id: site-thermopost', ...settings.map((line) => `    ${line}`)]
  const topics = ['    topics: [{ pattern: "bench/#", direction: out, qos: 1 }]']
  writeFileSync(file, ['allow_anonymous: true', 'bridges:', '  - name: cloud', ...bridge, ...topics, ''].join('\n'))
  const args = ['broker', '--config', file, '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--sys-interval', '0']
  const site = start(process.execPath, [...cpuProfileArgs(), thermopostBin, ...args])
  await untilListening(port, site)
  return site
}
