import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { thermopostBin } from '../helpers/crash-broker.js'
import { freePort } from '../helpers/free-port.js'
import { publishBurst, QUIET_MS } from './burst-publisher.js'
import { exited, OutputTail } from './children.js'
import { cpuSeconds } from './proc.js'

/**
 * A site broker bridging `bench/#` out at QoS 1 to a remote Mosquitto: ours (`thermopost broker`, SQLite store,
 * its bridge) against Mosquitto's own bridge on the same load. Forwarding: a publisher on the site broker sends
 * QoS 0 messages as fast as it can, then QoS 1 with 200 unacknowledged (burst-publisher.ts), and a subscriber at the remote counts
 * them. Drain: the remote is stopped, DRAIN_COUNT QoS 1 messages are acknowledged by the site broker, the remote
 * comes back, and the time until the remote's subscriber has them all is taken. CPU is the site broker's user +
 * system time per message. Mosquitto keeps its queue in memory (its persistence writes at intervals, without
 * fsync); ours waits for the SQLite commit before each acknowledgement: the durability differs, and the table says so.
 */
export interface BridgeFigure {
  broker: 'thermopost' | 'mosquitto'
  /** Forwarded messages per second at the remote, and site CPU µs per message, for QoS 0 and QoS 1. */
  qos0PerSecond: number
  qos0CpuUs: number
  qos0Delivered: number
  qos1PerSecond: number
  qos1CpuUs: number
  /** Acknowledged by the site broker per second while the remote was away. */
  queuedPerSecond: number
  /** Seconds from the remote's return to the first queued message at its subscriber (the bridge's restart delay). */
  reconnectSeconds: number
  /** Seconds from the first queued message at the remote's subscriber to the last. */
  drainSeconds: number
  drained: number
}

const COUNTS = { 0: 20_000, 1: 10_000 } as const
const DRAIN_COUNT = 100_000
const MOSQUITTO = '/usr/sbin/mosquitto'

interface Process {
  child: ChildProcess
  output: OutputTail
}

function start(command: string, args: string[]): Process {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return { child, output: new OutputTail(child) }
}

async function stop(running: Process | undefined): Promise<void> {
  if (running === undefined) return
  running.child.kill('SIGTERM')
  await exited(running.child)
}

async function untilListening(port: number, running: Process): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    if (Date.now() > deadline || running.child.exitCode !== null) throw new Error(`nothing listens on ${port}:\n${running.output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** The remote: Mosquitto keeping sessions across its restarts, with no limit on what it queues for them. */
async function startRemote(dir: string, port: number): Promise<Process> {
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

/** The site broker with its bridge to the remote, both with a window of 100 messages in flight. */
async function startSite(broker: BridgeFigure['broker'], dir: string, port: number, remotePort: number): Promise<Process> {
  if (broker === 'mosquitto') {
    const file = join(dir, 'site.conf')
    const bridge = ['connection cloud', `address 127.0.0.1:${remotePort}`, 'topic bench/# out 1', 'cleansession false']
    const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_queued_messages 0', 'max_inflight_messages 100']
    writeFileSync(file, [...lines, ...bridge, 'remote_clientid site-mosquitto', 'restart_timeout 1', ''].join('\n'))
    const site = start(MOSQUITTO, ['-c', file])
    await untilListening(port, site)
    return site
  }
  const file = join(dir, 'site.yaml')
  const bridge = [`    address: mqtt://127.0.0.1:${remotePort}`, '    client_id: site-thermopost', '    restart_delay: 0.5']
  const limits = ['    restart_delay_max: 1', '    queue_max_messages: 1000000', '    queue_max_bytes: 1000000000']
  const topics = ['    topics: [{ pattern: "bench/#", direction: out, qos: 1 }]']
  writeFileSync(file, ['allow_anonymous: true', 'bridges:', '  - name: cloud', ...bridge, ...limits, ...topics, ''].join('\n'))
  const args = ['broker', '--config', file, '--host', '127.0.0.1', '--port', String(port), '--data-dir', dir, '--sys-interval', '0']
  const site = start(process.execPath, [thermopostBin, ...args])
  await untilListening(port, site)
  return site
}

interface Arrivals {
  got: number
  /** performance.now() of the first and the last message counted. */
  first: number
  last: number
}

/**
 * Resolves with how many of `count` arrived: all, or fewer once nothing has come for QUIET_MS after the first (which
 * may take up to `firstWithinMs`: a bridge coming back waits out its restart delay).
 */
function arrivals(client: MqttClient, count: number, firstWithinMs = QUIET_MS): Promise<Arrivals> {
  const seen: Arrivals = { got: 0, first: 0, last: 0 }
  let timer: NodeJS.Timeout | undefined
  return new Promise<Arrivals>((resolve) => {
    const quiet = (ms: number): void => {
      clearTimeout(timer)
      timer = setTimeout(() => resolve(seen), ms)
    }
    quiet(firstWithinMs)
    client.on('message', (topic) => {
      if (!topic.startsWith('bench/data')) return
      seen.last = performance.now()
      if (seen.got++ === 0) seen.first = seen.last
      if (seen.got === count) {
        clearTimeout(timer)
        resolve(seen)
      } else quiet(QUIET_MS)
    })
  })
}

/** Publishes probes on the site broker until one reaches the remote's subscriber: the bridge is up. */
async function untilBridged(publisher: MqttClient, subscriber: MqttClient): Promise<void> {
  let arrived = false
  const onMessage = (topic: string): void => {
    if (topic === 'bench/probe') arrived = true
  }
  subscriber.on('message', onMessage)
  const deadline = Date.now() + 15_000
  while (!arrived) {
    if (Date.now() > deadline) throw new Error('the bridge did not forward a probe within 15 s')
    await publisher.publishAsync('bench/probe', 'probe', { qos: 1 })
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  subscriber.off('message', onMessage)
}

async function forwarding(site: Process, publisher: MqttClient, subscriber: MqttClient, qos: 0 | 1): Promise<[number, number, number]> {
  const count = COUNTS[qos]
  const arrived = arrivals(subscriber, count)
  const [cpuBefore, started] = [cpuSeconds(site.child.pid!), performance.now()]
  await publishBurst(publisher, 'bench/data', qos, count)
  const { got, last } = await arrived
  return [got / ((last - started) / 1000), ((cpuSeconds(site.child.pid!) - cpuBefore) / count) * 1e6, got]
}

export async function runBridgeBench(): Promise<BridgeFigure[]> {
  const figures: BridgeFigure[] = []
  for (const broker of ['thermopost', 'mosquitto'] as const) figures.push(await measureBroker(broker))
  return figures
}

async function measureBroker(broker: BridgeFigure['broker']): Promise<BridgeFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bridge-bench-'))
  chmodSync(dir, 0o777) // Mosquitto started as root writes its database as its own user
  const [remotePort, sitePort] = [await freePort(), await freePort()]
  let remote: Process | undefined
  let site: Process | undefined
  const clients: MqttClient[] = []
  try {
    remote = await startRemote(dir, remotePort)
    site = await startSite(broker, dir, sitePort, remotePort)
    const subscriberOptions = { clientId: `bench-remote-sub-${broker}`, clean: false, protocolVersion: 4 as const, reconnectPeriod: 0 }
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${remotePort}`, subscriberOptions)
    clients.push(subscriber)
    await subscriber.subscribeAsync('bench/#', { qos: 1 })
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${sitePort}`, { clientId: `bench-site-pub-${broker}`, reconnectPeriod: 0 })
    clients.push(publisher)
    await untilBridged(publisher, subscriber)
    const [qos0PerSecond, qos0CpuUs, qos0Delivered] = await forwarding(site, publisher, subscriber, 0)
    const [qos1PerSecond, qos1CpuUs] = await forwarding(site, publisher, subscriber, 1)

    await subscriber.endAsync()
    await stop(remote)
    const queueStarted = performance.now()
    await publishBurst(publisher, 'bench/data', 1, DRAIN_COUNT)
    const queuedPerSecond = DRAIN_COUNT / ((performance.now() - queueStarted) / 1000)
    remote = await startRemote(dir, remotePort)
    const returned = performance.now()
    const returning = mqtt.connect(`mqtt://127.0.0.1:${remotePort}`, subscriberOptions)
    clients.push(returning)
    const drain = await arrivals(returning, DRAIN_COUNT, 30_000)
    const [reconnectSeconds, drainSeconds] = [(drain.first - returned) / 1000, (drain.last - drain.first) / 1000]
    const figures = { qos0PerSecond, qos0CpuUs, qos0Delivered, qos1PerSecond, qos1CpuUs, queuedPerSecond }
    return { broker, ...figures, reconnectSeconds, drainSeconds, drained: drain.got }
  } finally {
    for (const client of clients) client.end(true)
    await stop(site)
    await stop(remote)
    rmSync(dir, { recursive: true, force: true })
  }
}

export function renderBridgeBench(figures: readonly BridgeFigure[]): string {
  const ours = figures.find((figure) => figure.broker === 'thermopost')
  const theirs = figures.find((figure) => figure.broker === 'mosquitto')
  const n = (value: number): string => Math.round(value).toLocaleString('en')
  const row = (f: BridgeFigure): string =>
    `| ${f.broker} | ${n(f.qos0PerSecond)} (${n(f.qos0Delivered)} of ${n(COUNTS[0])}) | ${n(f.qos0CpuUs)} | ${n(f.qos1PerSecond)} | ${n(f.qos1CpuUs)} | ${n(f.queuedPerSecond)} | ${f.reconnectSeconds.toFixed(1)} s | ${f.drainSeconds.toFixed(1)} s (${n(f.drained)} of ${n(DRAIN_COUNT)}) |`
  const ratio =
    ours === undefined || theirs === undefined
      ? []
      : [
          '',
          `thermopost / mosquitto: QoS 0 ${(ours.qos0PerSecond / theirs.qos0PerSecond).toFixed(2)}×, QoS 1 ${(ours.qos1PerSecond / theirs.qos1PerSecond).toFixed(2)}×, drain time ${(ours.drainSeconds / theirs.drainSeconds).toFixed(2)}×`
        ]
  return [
    `Bridge: a site broker forwarding bench/# at QoS 1 to a remote Mosquitto (ours: SQLite, acknowledged after commit; Mosquitto: in memory); drain: ${n(DRAIN_COUNT)} QoS 1 messages queued while the remote was away`,
    '',
    '| site broker | QoS 0 forwarded/s | site CPU µs/msg | QoS 1 forwarded/s | site CPU µs/msg | queued/s (remote away) | back after | drain |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(row),
    ...ratio
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderBridgeBench(await runBridgeBench()))
}
