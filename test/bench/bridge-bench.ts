import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import mqtt, { type MqttClient } from 'mqtt'
import { freePort } from '../helpers/free-port.js'
import { type Process, SITE_VARIANTS, type SiteVariant, startRemote, startSite, stop } from './bridge-bench-peers.js'
import { publishBurst, QUIET_MS } from './burst-publisher.js'
import { buildNativePrograms } from './native-build.js'
import { nativeProblems, startNativeFanIn, startNativeFanOutPublisher } from './native-load-generator.js'
import { cpuSeconds } from './proc.js'
import { GENERATOR_CPU_LIMIT_PERCENT } from './summary.js'

/**
 * A site broker bridging `bench/#` out at QoS 1 to a remote Mosquitto: ours (`thermopost broker`, SQLite store,
 * its bridge) against Mosquitto's own bridge (bridge-bench-peers.ts: each at its defaults plus the settings it
 * lists) on the same load. Forwarding: the native load generator's publishers on the site broker, QoS 0 flat out,
 * then QoS 1 with PUBLISHERS × WINDOW unacknowledged, and its subscriber at the remote counts what arrives over
 * a measured window after a warm-up. A run whose generator was above 80 % of a core is invalid: it measured the
 * generator. Drain: the remote is stopped, DRAIN_COUNT QoS 1 messages are acknowledged by the site broker
 * (mqtt.js publishing from this process, whose CPU is reported), the remote comes back, and the time until the
 * remote's subscriber has them all is taken. CPU is the site broker's user + system time per forwarded message.
 * Mosquitto keeps its queue in memory (its persistence writes at intervals, without fsync); ours waits for the
 * SQLite commit before each acknowledgement: the durability differs, and the table says so.
 */
export interface BridgeFigure {
  site: string
  forwarding: Record<0 | 1, Forwarding>
  /** QoS 0 at PACED_RATE, below what either site forwards: the CPU per message when nothing is dropped. */
  paced: Forwarding
  /** Acknowledged by the site broker per second while the remote was away. */
  queuedPerSecond: number
  /** Seconds from the remote's return to the first queued message at its subscriber (the bridge's restart delay). */
  reconnectSeconds: number
  /** Seconds from the first queued message at the remote's subscriber to the last. */
  drainSeconds: number
  drained: number
  /** This process (the mqtt.js publisher, then subscriber) over the drain, in % of a core. */
  drainClientCpuPercent: number
  problems: string[]
}

interface Forwarding {
  /** Messages at the remote's subscriber per second, over the window; and how many the publishers sent. */
  perSecond: number
  published: number
  delivered: number
  /** The site broker's CPU µs per message delivered at the remote. */
  siteCpuUs: number
  /** % of one core over the window. */
  generatorCpuPercent: number
  remoteCpuPercent: number
}

const LOAD = { publishers: 4, window: 50, persistentSubscriber: false } as const
const PACED_RATE = 3000
const WARMUP_MS = 2000
const WINDOW_MS = 8000
const DRAIN_COUNT = 100_000

/** Runs the load through the bridge at `qos` and reads the window's figures. */
async function forwarding(
  site: Process,
  remote: Process,
  ports: { site: number; remote: number },
  qos: 0 | 1
): Promise<[Forwarding, string[]]> {
  const generator = await startNativeFanIn(ports.site, { kind: 'fan-in', ...LOAD, qos }, ports.remote)
  try {
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
    const pids = [site.child.pid!, remote.child.pid!, generator.pid]
    generator.reset()
    const before = pids.map(cpuSeconds)
    const started = performance.now()
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
    const [siteCpu, remoteCpu, generatorCpu] = pids.map((pid, index) => cpuSeconds(pid) - before[index]!)
    const seconds = (performance.now() - started) / 1000
    const report = await generator.report()
    const figures: Forwarding = {
      perSecond: report.delivered / report.seconds,
      published: report.published,
      delivered: report.delivered,
      siteCpuUs: (siteCpu! / Math.max(1, report.delivered)) * 1e6,
      generatorCpuPercent: (100 * generatorCpu!) / seconds,
      remoteCpuPercent: (100 * remoteCpu!) / seconds
    }
    const problems = nativeProblems(report).map((problem) => `QoS ${qos}: ${problem}`)
    if (figures.generatorCpuPercent > GENERATOR_CPU_LIMIT_PERCENT)
      problems.push(`QoS ${qos}: INVALID, the generator's core was ${figures.generatorCpuPercent.toFixed(0)} % busy`)
    return [figures, problems]
  } finally {
    generator.kill()
    await untilIdle([site.child.pid!, remote.child.pid!])
  }
}

/**
 * QoS 0 at PACED_RATE from the native generator's paced publisher, counted by an mqtt.js subscriber at the remote
 * in this process (its CPU counts as the generator's).
 */
async function pacedForwarding(site: Process, remote: Process, ports: { site: number; remote: number }): Promise<[Forwarding, string[]]> {
  const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.remote}`, { protocolVersion: 4, reconnectPeriod: 0 })
  let delivered = 0
  subscriber.on('message', (topic) => {
    if (topic === 'bench/paced') delivered++
  })
  await subscriber.subscribeAsync('bench/paced', { qos: 0 })
  const generator = await startNativeFanOutPublisher(ports.site, PACED_RATE, 'bench/paced')
  try {
    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS))
    const pids: Array<number | 'self'> = [site.child.pid!, remote.child.pid!, generator.pid, 'self']
    generator.reset()
    const before = pids.map(cpuSeconds)
    const deliveredBefore = delivered
    const started = performance.now()
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS))
    const [siteCpu, remoteCpu, generatorCpu, ownCpu] = pids.map((pid, index) => cpuSeconds(pid) - before[index]!)
    const seconds = (performance.now() - started) / 1000
    const inWindow = delivered - deliveredBefore
    const report = await generator.report()
    const figures: Forwarding = {
      perSecond: inWindow / seconds,
      published: report.published,
      delivered: inWindow,
      siteCpuUs: (siteCpu! / Math.max(1, inWindow)) * 1e6,
      generatorCpuPercent: (100 * (generatorCpu! + ownCpu!)) / seconds,
      remoteCpuPercent: (100 * remoteCpu!) / seconds
    }
    const problems = nativeProblems(report).map((problem) => `paced QoS 0: ${problem}`)
    if (figures.generatorCpuPercent > GENERATOR_CPU_LIMIT_PERCENT)
      problems.push(`paced QoS 0: INVALID, the generator's core was ${figures.generatorCpuPercent.toFixed(0)} % busy`)
    return [figures, problems]
  } finally {
    generator.kill()
    subscriber.end(true)
    await untilIdle([site.child.pid!, remote.child.pid!])
  }
}

/**
 * Waits until the brokers have caught up with what the last run left them (a site still writing its QoS 0
 * backlog to the remote), so the next run starts from rest: each under 10 % of a core for half a second.
 */
async function untilIdle(pids: readonly number[]): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    const before = pids.map(cpuSeconds)
    await new Promise((resolve) => setTimeout(resolve, 500))
    if (pids.every((pid, index) => cpuSeconds(pid) - before[index]! < 0.05) || Date.now() > deadline) return
  }
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

export async function runBridgeBench(variants: readonly SiteVariant[] = SITE_VARIANTS): Promise<BridgeFigure[]> {
  buildNativePrograms()
  const figures: BridgeFigure[] = []
  for (const variant of variants) figures.push(await measureSite(variant))
  return figures
}

async function measureSite(variant: SiteVariant): Promise<BridgeFigure> {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bridge-bench-'))
  chmodSync(dir, 0o777) // Mosquitto started as root writes its database as its own user
  const ports = { remote: await freePort(), site: await freePort() }
  let remote: Process | undefined
  let site: Process | undefined
  const clients: MqttClient[] = []
  try {
    remote = await startRemote(dir, ports.remote)
    site = await startSite(variant, dir, ports.site, ports.remote)
    const subscriberOptions = {
      clientId: `bench-remote-sub-${variant.name}`,
      clean: false,
      protocolVersion: 4 as const,
      reconnectPeriod: 0
    }
    const subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.remote}`, subscriberOptions)
    clients.push(subscriber)
    await subscriber.subscribeAsync('bench/probe', { qos: 1 })
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.site}`, {
      clientId: `bench-site-pub-${variant.name}`,
      reconnectPeriod: 0
    })
    clients.push(publisher)
    await untilBridged(publisher, subscriber)
    const [paced, pacedProblems] = await pacedForwarding(site, remote, ports)
    const [qos0, qos0Problems] = await forwarding(site, remote, ports, 0)
    const [qos1, qos1Problems] = await forwarding(site, remote, ports, 1)

    // The drain's subscriber takes bench/data only: what the forwarding runs left in flight is not counted.
    await subscriber.subscribeAsync('bench/data/#', { qos: 1 })
    await subscriber.endAsync()
    await stop(remote)
    const clientCpuBefore = cpuSeconds('self')
    const queueStarted = performance.now()
    await publishBurst(publisher, 'bench/data', 1, DRAIN_COUNT)
    const queuedPerSecond = DRAIN_COUNT / ((performance.now() - queueStarted) / 1000)
    remote = await startRemote(dir, ports.remote)
    const returned = performance.now()
    const returning = mqtt.connect(`mqtt://127.0.0.1:${ports.remote}`, subscriberOptions)
    clients.push(returning)
    const drain = await arrivals(returning, DRAIN_COUNT, 30_000)
    const drainClientCpuPercent = (100 * (cpuSeconds('self') - clientCpuBefore)) / ((drain.last - queueStarted) / 1000)
    const [reconnectSeconds, drainSeconds] = [(drain.first - returned) / 1000, (drain.last - drain.first) / 1000]
    const problems = [...pacedProblems, ...qos0Problems, ...qos1Problems]
    if (drain.got < DRAIN_COUNT) problems.push(`drained ${drain.got} of ${DRAIN_COUNT}`)
    return {
      site: variant.name,
      forwarding: { 0: qos0, 1: qos1 },
      paced,
      queuedPerSecond,
      reconnectSeconds,
      drainSeconds,
      drained: drain.got,
      drainClientCpuPercent,
      problems
    }
  } finally {
    for (const client of clients) client.end(true)
    await stop(site)
    await stop(remote)
    rmSync(dir, { recursive: true, force: true })
  }
}

export function renderBridgeBench(figures: readonly BridgeFigure[]): string {
  const n = (value: number): string => Math.round(value).toLocaleString('en')
  const cells = (f: Forwarding): string =>
    `${n(f.perSecond)} (${n(f.delivered)} of ${n(f.published)}) | ${n(f.siteCpuUs)} | ${n(f.generatorCpuPercent)} % / ${n(f.remoteCpuPercent)} %`
  const row = (f: BridgeFigure): string =>
    `| ${f.site} | ${cells(f.paced)} | ${cells(f.forwarding[0])} | ${cells(f.forwarding[1])} | ${n(f.queuedPerSecond)} | ${f.reconnectSeconds.toFixed(1)} s | ${f.drainSeconds.toFixed(1)} s (${n(f.drained)} of ${n(DRAIN_COUNT)}) | ${n(f.drainClientCpuPercent)} % |`
  const ours = figures.find((figure) => figure.site === 'thermopost')
  const ratios = figures
    .filter((figure) => ours !== undefined && figure !== ours)
    .map(
      (theirs) =>
        `thermopost / ${theirs.site}: site CPU per message at ${n(PACED_RATE)}/s QoS 0 ${(ours!.paced.siteCpuUs / theirs.paced.siteCpuUs).toFixed(2)}×; QoS 0 ${(ours!.forwarding[0].perSecond / theirs.forwarding[0].perSecond).toFixed(2)}×, QoS 1 ${(ours!.forwarding[1].perSecond / theirs.forwarding[1].perSecond).toFixed(2)}×, site CPU per message QoS 0 ${(ours!.forwarding[0].siteCpuUs / theirs.forwarding[0].siteCpuUs).toFixed(2)}×, QoS 1 ${(ours!.forwarding[1].siteCpuUs / theirs.forwarding[1].siteCpuUs).toFixed(2)}×, drain time ${(ours!.drainSeconds / theirs.drainSeconds).toFixed(2)}×`
    )
  const settings = SITE_VARIANTS.filter((variant) => figures.some((figure) => figure.site === variant.name)).map(
    (variant) => `- ${variant.name}: ${variant.settings.map(({ line, why }) => `\`${line}\` (${why})`).join('; ')}`
  )
  return [
    `Bridge: a site broker forwarding bench/# at QoS 1 to a remote Mosquitto (ours: SQLite, acknowledged after commit; Mosquitto: in memory). Load: the native generator, ${LOAD.publishers} publishers on the site (QoS 1: ${LOAD.window} unacknowledged each), its subscriber at the remote, ${WINDOW_MS / 1000} s measured after ${WARMUP_MS / 1000} s; drain: ${n(DRAIN_COUNT)} QoS 1 messages queued while the remote was away (mqtt.js clients)`,
    '',
    `| site broker | QoS 0 at ${n(PACED_RATE)}/s: at the remote/s (of sent) | site CPU µs/msg | generator / remote CPU | QoS 0 flat out: at the remote/s | site CPU µs/msg | generator / remote CPU | QoS 1 at the remote/s | site CPU µs/msg | generator / remote CPU | queued/s (remote away) | back after | drain | drain clients CPU |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(row),
    '',
    "Settings beyond each broker's defaults:",
    ...settings,
    ...(ratios.length > 0 ? ['', ...ratios] : []),
    ...figures.flatMap((figure) => figure.problems.map((problem) => `⚠ ${figure.site}: ${problem}`))
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const only = process.argv.slice(2)
  const variants = only.length === 0 ? SITE_VARIANTS : SITE_VARIANTS.filter((variant) => only.includes(variant.name))
  console.log(renderBridgeBench(await runBridgeBench(variants)))
}
