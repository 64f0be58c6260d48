import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import mqtt from 'mqtt'
import { type Logger, pino } from 'pino'
import type { BridgeSettings, BridgeTopic } from '../../broker/bridge/bridge-settings.js'
import { Broker } from '../../broker/broker.js'
import type { BrokerOptions } from '../../broker/options.js'
import type { Store } from '../../broker/store/store.js'
import { freePort } from './free-port.js'
import { endQuietly, mqttClient } from './session-clients.js'
import { sleep } from './silence.js'

/** A bridge's settings with short back-off and no TLS; `topics` and the address are the test's. */
export function bridgeSettings(
  name: string,
  address: string | string[],
  topics: Array<Partial<BridgeTopic>>,
  more: Partial<BridgeSettings> = {}
): BridgeSettings {
  return {
    name,
    addresses: typeof address === 'string' ? [address] : address,
    protocolVersion: 5,
    clientId: `bridge-${name}-${process.pid}`,
    cleanStart: false,
    username: undefined,
    password: undefined,
    tls: { ca: undefined, cert: undefined, key: undefined, insecure: false },
    keepalive: 30,
    restartDelay: 0.1,
    restartDelayMax: 0.3,
    queueMaxMessages: 100_000,
    queueMaxBytes: 64 * 1024 * 1024,
    topics: topics.map((topic) => ({ pattern: '#', direction: 'both', qos: 1, localPrefix: '', remotePrefix: '', ...topic })),
    ...more
  }
}

export interface BridgedBroker {
  broker: Broker
  port: number
  url: string
}

/** An in-process broker on a free loopback port with `bridges`, closed after the test. */
export async function startBridgedBroker(
  t: TestContext,
  bridges: BridgeSettings[],
  node: string,
  options: { broker?: Partial<BrokerOptions>; store?: Store; logger?: Logger } = {}
): Promise<BridgedBroker> {
  const broker = new Broker(options.broker ?? {}, { store: options.store, logger: options.logger, bridges: { settings: bridges, node } })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { broker, port, url: `mqtt://127.0.0.1:${port}` }
}

/** Waits until `check` holds, polling; throws naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await sleep(20)
  }
}

/** Waits until the bridge `name` of `broker` has its link up (or down, with `connected` false). */
export async function untilBridge(broker: Broker, name: string, connected = true, timeoutMs = 5000): Promise<void> {
  await until(
    `bridge ${name} ${connected ? 'connected' : 'disconnected'}`,
    () => broker.bridges?.states().get(name)?.connected === connected,
    timeoutMs
  )
}

/** Debian's Mosquitto on a fixed port, which can be stopped and started again there (a remote that goes away). */
export class MosquittoProcess {
  private child: ChildProcess | undefined
  private output = ''
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly config: string
  ) {}

  /**
   * Starts it with `extraConfig` lines after its listener (with `persistent`, its database is kept in a directory of
   * its own, across `stop` and `run`); stopped and its files removed after the test.
   */
  static async start(t: TestContext, extraConfig: string[] = [], options: { persistent?: boolean } = {}): Promise<MosquittoProcess> {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'thermopost-bridge-mosquitto-'))
    const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...extraConfig]
    if (options.persistent === true) {
      // Started as root, Mosquitto drops to its own user, which must be able to write its database here.
      chmodSync(dir, 0o777)
      lines.push(`persistence_location ${dir}/`)
    }
    const mosquitto = new MosquittoProcess(port, dir, lines.join('\n'))
    t.after(async () => {
      await mosquitto.stop()
      rmSync(mosquitto.dir, { recursive: true, force: true })
    })
    await mosquitto.run()
    return mosquitto
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`
  }

  get log(): string {
    return this.output
  }

  async run(): Promise<void> {
    const file = join(this.dir, 'mosquitto.conf')
    writeFileSync(file, `${this.config}\n`)
    const child = spawn('/usr/sbin/mosquitto', ['-c', file, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child = child
    child.stdout!.on('data', (chunk: Buffer) => {
      this.output += chunk.toString()
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      this.output += chunk.toString()
    })
    const deadline = Date.now() + 5000
    while (!(await accepts(this.port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start:\n${this.output}`)
      await sleep(50)
    }
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('close', () => resolve()))
    child.kill('SIGTERM')
    await gone
  }
}

async function accepts(port: number): Promise<boolean> {
  return await new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/**
 * A QoS 1 subscriber to `filter` at a remote that keeps its session (a persistent Mosquitto) across restarts:
 * subscribed now, offline until `collect` connects it again; `collect` resolves the payloads as they arrive,
 * in order, listening from before CONNACK, since the remote sends what it queued right behind it.
 */
export async function subscribeForLater(t: TestContext, url: string, filter: string): Promise<{ collect(): string[] }> {
  const clientId = `later-${process.pid}-${Math.random().toString(36).slice(2, 8)}`
  const first = await mqttClient(t, url, { protocolVersion: 4, clientId, clean: false })
  await first.subscribeAsync(filter, { qos: 1 })
  await first.endAsync()
  return {
    collect: () => {
      const watcher = mqtt.connect(url, { protocolVersion: 4, clientId, clean: false, reconnectPeriod: 0 })
      t.after(() => endQuietly(watcher))
      const received: string[] = []
      watcher.on('message', (_topic, payload) => received.push(payload.toString()))
      return received
    }
  }
}

/** A logger whose lines the test reads: their messages, in order. */
export function capturedLog(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push((JSON.parse(line) as { msg: string }).msg) })
  return { logger, lines }
}
