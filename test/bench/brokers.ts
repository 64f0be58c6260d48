import type { ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { aedesNagleArg, type BrokerLimits, cpuProfileArgs, mosquittoSettings, thermopostLimitArgs } from './broker-settings.js'
import type { BrokerName } from './broker-variants.js'
import { exited, OutputTail, spawnPinned } from './children.js'
import { diskUsageBytes } from './disk-usage.js'
import { freePort, waitForPort } from './ports.js'

/** Every broker gets this one core; the load generator gets core 0. */
export const BROKER_CORE = 1

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The thermopost of the build the bench itself belongs to (dist/ for npm run bench, or any other outDir). */
import { BROKER_NODE_FLAGS } from '../../broker/node-flags.js'

const THERMOPOST = fileURLToPath(new URL('../../bin/thermopost.js', import.meta.url))
const AEDES_SERVER = fileURLToPath(new URL('./aedes-server.js', import.meta.url))
const MOSQUITTO = '/usr/sbin/mosquitto'
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000
/** A broker with a data dir may write it out at exit: Mosquitto saves its whole database then. */
const DURABLE_STOP_TIMEOUT_MS = 60_000
const LISTEN_URL = /mqtt:\/\/127\.0\.0\.1:(\d+)/

/** The bench's plumbing around a variant's settings (broker-settings.ts): where it listens and what it logs. */
function mosquittoConfig(port: number, persistenceDir: string | null, settings: readonly string[]): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    ...settings,
    ...(persistenceDir === null ? [] : [`persistence_location ${persistenceDir}/`]),
    // The default logs every connect and disconnect, 5000 lines in the idle scenario; nothing it logs is per message.
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
  /** Where it keeps its durable state for this run; null for the in-memory variants. */
  dataDir: string | null
  /**
   * Stops it (SIGTERM, then SIGKILL) and removes its data dir; returns what went wrong, e.g. that
   * it had crashed, and what the data dir held on disk once it had exited.
   */
  stop(): Promise<StopReport>
}

export interface StopReport {
  problems: string[]
  dataDirBytesAfterExit: number | null
}

/** Throws when a broker cannot be started at all, before any round begins. */
export function assertAvailable(name: BrokerName): void {
  if (name.startsWith('thermopost') && !existsSync(THERMOPOST)) throw new Error(`${THERMOPOST} not found: build thermopost first`)
  if (name.startsWith('mosquitto') && !existsSync(MOSQUITTO)) throw new Error(`${MOSQUITTO} not found: apt-get install mosquitto`)
}

/**
 * A fresh broker process pinned to BROKER_CORE, listening on 127.0.0.1. `limits`: the scenario's own
 * in-flight window and queue length (aedes has no such settings and ignores them). `acl`: the text of an
 * ACL file for thermopost to start with.
 */
export async function launchBroker(name: BrokerName, limits?: BrokerLimits, acl?: string): Promise<RunningBroker> {
  if (acl !== undefined && !name.startsWith('thermopost')) throw new Error(`${name}: the bench gives an ACL file to thermopost only`)
  switch (name) {
    case 'thermopost': {
      // Never the default ./data: every run starts from an empty store, and other runs' state stays out.
      const dataDir = freshDataDir(name)
      return await withAclFile(acl, (aclArgs) =>
        launchReporting(name, dataDir, thermopost(['--store', 'sqlite', '--data-dir', dataDir, ...aclArgs], limits))
      )
    }
    case 'thermopost-memory':
      return await withAclFile(acl, (aclArgs) => launchReporting(name, null, thermopost(['--store', 'memory', ...aclArgs], limits)))
    case 'aedes':
    case 'aedes-nodelay':
      return await launchReporting(name, null, spawnPinned(BROKER_CORE, process.execPath, [AEDES_SERVER, '0', aedesNagleArg(name)]))
    case 'mosquitto':
    case 'mosquitto-nodelay':
      return await launchMosquitto(name, null, limits)
    case 'mosquitto-persist':
    case 'mosquitto-persist-nodelay': {
      const dataDir = freshDataDir(name)
      // Started as root, Mosquitto drops to its own user and could not write into mkdtemp's 0700 dir.
      chmodSync(dataDir, 0o777)
      return await launchMosquitto(name, dataDir, limits)
    }
  }
}

function thermopost(storeArgs: readonly string[], limits: BrokerLimits | undefined): ChildProcess {
  const limitArgs = thermopostLimitArgs(limits)
  return spawnPinned(
    BROKER_CORE,
    process.execPath,
    [...BROKER_NODE_FLAGS, ...cpuProfileArgs(), THERMOPOST, 'broker', '--host', '127.0.0.1', '--port', '0', ...storeArgs, ...limitArgs],
    REPO_ROOT
  )
}

/** `--acl-file` with `acl` in a temporary file while the broker starts: it reads the file once (and on SIGHUP, which the bench never sends). */
async function withAclFile(acl: string | undefined, launch: (aclArgs: string[]) => Promise<RunningBroker>): Promise<RunningBroker> {
  if (acl === undefined) return await launch([])
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bench-acl-'))
  const file = join(dir, 'acl')
  writeFileSync(file, acl)
  try {
    return await launch(['--acl-file', file, '--allow-anonymous', 'true'])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function freshDataDir(name: BrokerName): string {
  return mkdtempSync(join(tmpdir(), `thermopost-bench-${name}-data-`))
}

/** A broker that listens on port 0 and logs the URL it got. */
async function launchReporting(name: BrokerName, dataDir: string | null, child: ChildProcess): Promise<RunningBroker> {
  let announce: (port: number) => void = () => {}
  const announced = new Promise<number>((resolve) => {
    announce = resolve
  })
  const output = new OutputTail(child, (line) => {
    const match = LISTEN_URL.exec(line)
    if (match) announce(Number(match[1]))
  })
  const port = await untilReady(name, child, output, announced, dataDir)
  return running(name, child, port, output, dataDir)
}

async function launchMosquitto(name: BrokerName, dataDir: string | null, limits: BrokerLimits | undefined): Promise<RunningBroker> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bench-mosquitto-'))
  const configPath = join(dir, 'mosquitto.conf')
  writeFileSync(configPath, mosquittoConfig(port, dataDir, mosquittoSettings(name, limits)))
  const child = spawnPinned(BROKER_CORE, MOSQUITTO, ['-c', configPath])
  const output = new OutputTail(child)
  try {
    await untilReady(
      name,
      child,
      output,
      waitForPort(port, READY_TIMEOUT_MS).then(() => port),
      dataDir
    )
  } finally {
    // Mosquitto reads its configuration once at start (and on SIGHUP, which the bench never sends).
    rmSync(dir, { recursive: true, force: true })
  }
  return running(name, child, port, output, dataDir)
}

/**
 * The port once `ready` resolves; throws, with the broker's last output, if it exits or times out
 * first, and then removes `dataDir` too.
 */
async function untilReady(
  name: BrokerName,
  child: ChildProcess,
  output: OutputTail,
  ready: Promise<number>,
  dataDir: string | null
): Promise<number> {
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
  } catch (error) {
    await exited(child)
    if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true })
    throw error
  } finally {
    clearTimeout(timer)
    child.off('exit', onExit)
    child.off('error', onError)
  }
}

function running(name: BrokerName, child: ChildProcess, port: number, output: OutputTail, dataDir: string | null): RunningBroker {
  if (child.pid === undefined) throw new Error(`${name} has no pid`)
  return {
    name,
    pid: child.pid,
    port,
    dataDir,
    async stop() {
      const problems = await terminate(name, child, output, dataDir === null ? STOP_TIMEOUT_MS : DURABLE_STOP_TIMEOUT_MS)
      if (dataDir === null) return { problems, dataDirBytesAfterExit: null }
      const dataDirBytesAfterExit = diskUsageBytes(dataDir)
      rmSync(dataDir, { recursive: true, force: true })
      return { problems, dataDirBytesAfterExit }
    }
  }
}

async function terminate(name: BrokerName, child: ChildProcess, output: OutputTail, timeoutMs: number): Promise<string[]> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return [`${name} had exited (${child.signalCode ?? `code ${child.exitCode}`}) before the run ended:\n${output}`]
  }
  const problems: string[] = []
  child.kill('SIGTERM')
  const timer = setTimeout(() => {
    problems.push(`${name} ignored SIGTERM for ${timeoutMs} ms; killed`)
    child.kill('SIGKILL')
  }, timeoutMs)
  await exited(child)
  clearTimeout(timer)
  return problems
}
