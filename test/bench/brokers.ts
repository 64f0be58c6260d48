import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exited, OutputTail, spawnPinned } from './children.js'
import { freePort, waitForPort } from './ports.js'

export type BrokerName = 'thermopost' | 'mosquitto' | 'aedes'
export const BROKER_NAMES: readonly BrokerName[] = ['thermopost', 'mosquitto', 'aedes']

/** Every broker gets this one core; the load generator gets core 0. */
export const BROKER_CORE = 1

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const THERMOPOST = join(REPO_ROOT, 'dist/bin/thermopost.js')
const AEDES_SERVER = fileURLToPath(new URL('./aedes-server.js', import.meta.url))
const MOSQUITTO = '/usr/sbin/mosquitto'
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000
/** The same limits Mosquitto gets below: no in-flight cap worth the name, a queue that is never full. */
const THERMOPOST_LIMITS = ['--max-inflight', '65535', '--max-queued-messages', '1000000', '--max-queued-bytes', '4294967296']
const LISTEN_URL = /mqtt:\/\/127\.0\.0\.1:(\d+)/

/*
 * Mosquitto's defaults, except:
 * - max_inflight_messages 0 (no limit; default 20): with 20 the QoS 1 subscriber would be held to 20
 *   messages per round trip, a throttle aedes does not have, so the bench would measure the setting.
 * - max_queued_messages 1000000 (default 1000): a full queue drops QoS 1 messages; never reached
 *   once in-flight is unlimited, it is there so a slow subscriber shows as latency, not as loss.
 * - set_tcp_nodelay true: the other two brokers disable Nagle too; with it on, Mosquitto's fan-out
 *   latency measures Nagle's delay rather than the broker.
 * - only errors and warnings logged: the default logs every connect and disconnect to stderr,
 *   5000 lines in the idle scenario.
 */
function mosquittoConfig (port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'max_inflight_messages 0',
    'max_queued_messages 1000000',
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    ''
  ].join('\n')
}

export interface RunningBroker {
  name: BrokerName
  pid: number
  port: number
  /** Stops it (SIGTERM, then SIGKILL); returns what went wrong, e.g. that it had crashed. */
  stop (): Promise<string[]>
}

/** Throws when a broker cannot be started at all, before any round begins. */
export function assertAvailable (name: BrokerName): void {
  if (name === 'thermopost' && !existsSync(THERMOPOST)) throw new Error(`${THERMOPOST} not found: build thermopost first`)
  if (name === 'mosquitto' && !existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: apt-get install mosquitto`)
}

/** A fresh broker process pinned to BROKER_CORE, listening on 127.0.0.1. */
export async function launchBroker (name: BrokerName): Promise<RunningBroker> {
  switch (name) {
    case 'thermopost':
      return await launchReporting(name, spawnPinned(BROKER_CORE, process.execPath, [THERMOPOST, 'broker', '--host', '127.0.0.1', '--port', '0', ...THERMOPOST_LIMITS], REPO_ROOT))
    case 'aedes':
      return await launchReporting(name, spawnPinned(BROKER_CORE, process.execPath, [AEDES_SERVER, '0']))
    case 'mosquitto':
      return await launchMosquitto()
  }
}

/** A broker that listens on port 0 and logs the URL it got. */
async function launchReporting (name: BrokerName, child: ChildProcess): Promise<RunningBroker> {
  let announce: (port: number) => void = () => {}
  const announced = new Promise<number>((resolve) => { announce = resolve })
  const output = new OutputTail(child, (line) => {
    const match = LISTEN_URL.exec(line)
    if (match) announce(Number(match[1]))
  })
  const port = await untilReady(name, child, output, announced)
  return running(name, child, port, output)
}

async function launchMosquitto (): Promise<RunningBroker> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bench-mosquitto-'))
  const configPath = join(dir, 'mosquitto.conf')
  writeFileSync(configPath, mosquittoConfig(port))
  const child = spawnPinned(BROKER_CORE, MOSQUITTO, ['-c', configPath])
  const output = new OutputTail(child)
  try {
    await untilReady('mosquitto', child, output, waitForPort(port, READY_TIMEOUT_MS).then(() => port))
  } finally {
    // Mosquitto reads its configuration once at start (and on SIGHUP, which the bench never sends).
    rmSync(dir, { recursive: true, force: true })
  }
  return running('mosquitto', child, port, output)
}

/** The port once `ready` resolves; throws, with the broker's last output, if it exits or times out first. */
async function untilReady (name: BrokerName, child: ChildProcess, output: OutputTail, ready: Promise<number>): Promise<number> {
  let timer: NodeJS.Timeout | undefined
  let onExit = (): void => {}
  let onError = (): void => {}
  const failed = new Promise<never>((_resolve, reject) => {
    const fail = (why: string): void => {
      child.kill('SIGKILL')
      reject(new Error(`${name} ${why}\n${output}`))
    }
    timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS)
    onExit = () => fail(`exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready`)
    onError = () => fail('could not be started')
    child.once('exit', onExit)
    child.once('error', onError)
  })
  try {
    return await Promise.race([ready, failed])
  } finally {
    clearTimeout(timer)
    child.off('exit', onExit)
    child.off('error', onError)
  }
}

function running (name: BrokerName, child: ChildProcess, port: number, output: OutputTail): RunningBroker {
  if (child.pid === undefined) throw new Error(`${name} has no pid`)
  return {
    name,
    pid: child.pid,
    port,
    async stop () {
      const problems: string[] = []
      if (child.exitCode !== null || child.signalCode !== null) {
        problems.push(`${name} had exited (${child.signalCode ?? `code ${child.exitCode}`}) before the run ended:\n${output}`)
        return problems
      }
      child.kill('SIGTERM')
      const timer = setTimeout(() => {
        problems.push(`${name} ignored SIGTERM for ${STOP_TIMEOUT_MS} ms; killed`)
        child.kill('SIGKILL')
      }, STOP_TIMEOUT_MS)
      await exited(child)
      clearTimeout(timer)
      return problems
    }
  }
}
