import { connect as netConnect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import mqtt, { type MqttClient } from 'mqtt'
import { pino } from 'pino'
import { Broker } from '../../../broker/broker.js'
import type { BrokerOptions } from '../../../broker/options.js'
import { sleep } from '../../helpers/silence.js'
import { encode, type FuzzKind, fuzzBytes, Rng, type Version, validConnect } from './fuzz-packets.js'

/**
 * The fuzz scenario shared by `fuzz.test.ts` (bounded) and `npm run fuzz` (long): an in-process
 * broker, `connections` raw sockets sending valid, mutated and random packets (half of them after a
 * valid CONNECT, so the handlers behind it are reached; a new socket whenever the broker closes one),
 * and meanwhile two well-behaved mqtt.js 5.0 clients: a publisher of numbered QoS 1 messages on
 * `fuzz/ok/n` and a subscriber of `fuzz/ok/#`. A clean run: no uncaught exception or unhandled
 * rejection, no handler failure logged by the broker, neither good client ever disconnected, every
 * numbered message delivered once and in order, memory growth within bounds, and a brand-new client
 * served at the end.
 */

export interface FuzzOptions {
  seed: number
  /** Stop after this many fuzz packets... */
  packets?: number
  /** ...or after this many seconds, whichever comes first. */
  seconds?: number
  /** Concurrent fuzz connections. */
  connections?: number
  /** How much the resident set may grow during the run. */
  maxRssGrowthBytes?: number
  /** How much the heap may grow, measured after a full garbage collection before and after the run. */
  maxHeapGrowthBytes?: number
  /** Progress lines every `progressMs`, and the start line. */
  log?: (line: string) => void
  progressMs?: number
}

export interface FuzzReport {
  seed: number
  elapsedMs: number
  packets: number
  bytes: number
  byKind: Record<FuzzKind, number>
  connects: number
  connectionsOpened: number
  /** Connections the broker closed (the others the fuzzer ended itself). */
  closedByBroker: number
  /** Connections that sent a partial packet or nothing at all, and whether the connect timeout closed them. */
  idlers: number
  idlersNotClosed: number
  published: number
  delivered: number
  rssBefore: number
  rssAfter: number
  rssPeak: number
  heapPeak: number
  heapBefore: number
  heapAfter: number
  sessionsAtEnd: number
  problems: string[]
}

/** Limits low enough for the fuzzer to reach them. */
export const FUZZ_BROKER_OPTIONS: Partial<BrokerOptions> = {
  maxPacketSize: 64 * 1024,
  connectTimeout: 2,
  drainTimeout: 5,
  maxQueuedMessages: 200,
  maxQueuedBytes: 256 * 1024,
  legacySessionExpiry: 20,
  maxSessionExpiry: 20,
  topicAliasMaximum: 4,
  maxTopicLevels: 32,
  sysInterval: 1
}

const GOOD_TOPIC = 'fuzz/ok/n'
const PUBLISH_EVERY_MS = 5
const MB = 1024 * 1024

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const packetsWanted = options.packets ?? Infinity
  const deadline = options.seconds !== undefined ? Date.now() + options.seconds * 1000 : Infinity
  if (packetsWanted === Infinity && deadline === Infinity) throw new Error('runFuzz needs packets or seconds')
  const log = options.log ?? (() => {})
  const problems: string[] = []

  const uncaught: string[] = []
  const onUncaught = (error: unknown): void => {
    uncaught.push(`uncaught exception: ${stackOf(error)}`)
  }
  const onRejection = (error: unknown): void => {
    uncaught.push(`unhandled rejection: ${stackOf(error)}`)
  }
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onRejection)

  // Errors the broker logs are bugs too: a handler that threw is caught and only logged.
  // The same failure is logged many times over: kept once per message and top frames, with a count.
  const brokerErrors = new Map<string, { count: number; text: string }>()
  const logger = pino(
    { level: 'error' },
    {
      write(line: string) {
        const entry = JSON.parse(line) as { msg?: string; err?: { stack?: string }; clientId?: string }
        const stack = entry.err?.stack ?? line
        const key = `${entry.msg} ${stack.split('\n').slice(0, 8).join('\n')}`
        const seen = brokerErrors.get(key)
        if (seen !== undefined) seen.count++
        else
          brokerErrors.set(key, { count: 1, text: `broker logged "${entry.msg}" (first from client ${entry.clientId ?? '?'}): ${stack}` })
      }
    }
  )
  const broker = new Broker(FUZZ_BROKER_OPTIONS, { logger })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  const url = `mqtt://127.0.0.1:${port}`

  const goodEvents: string[] = []
  const clients: MqttClient[] = []
  const report: FuzzReport = {
    seed: options.seed,
    elapsedMs: 0,
    packets: 0,
    bytes: 0,
    byKind: { valid: 0, mutated: 0, random: 0 },
    connects: 0,
    connectionsOpened: 0,
    closedByBroker: 0,
    idlers: 0,
    idlersNotClosed: 0,
    published: 0,
    delivered: 0,
    rssBefore: 0,
    rssAfter: 0,
    rssPeak: 0,
    heapPeak: 0,
    heapBefore: 0,
    heapAfter: 0,
    sessionsAtEnd: 0,
    problems
  }
  let publishTimer: NodeJS.Timeout | undefined
  let sampler: NodeJS.Timeout | undefined
  const start = Date.now()
  try {
    const tag = options.seed.toString(36)
    const subscriber = await goodClient(url, `good-sub-${tag}`, 'subscriber', goodEvents)
    clients.push(subscriber)
    const received: Array<{ topic: string; payload: string; dup: boolean }> = []
    subscriber.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), dup: packet.dup }))
    await subscriber.subscribeAsync('fuzz/ok/#', { qos: 1 })
    const publisher = await goodClient(url, `good-pub-${tag}`, 'publisher', goodEvents)
    clients.push(publisher)

    let acknowledged = 0
    let nextNumber = 1
    publishTimer = setInterval(() => {
      const n = nextNumber++
      report.published = n
      publisher.publishAsync(GOOD_TOPIC, String(n), { qos: 1 }).then(
        () => {
          acknowledged++
        },
        (error: unknown) => {
          goodEvents.push(`publisher: PUBLISH ${n} failed: ${stackOf(error)}`)
        }
      )
    }, PUBLISH_EVERY_MS)

    report.heapBefore = collectedHeap()
    report.rssBefore = process.memoryUsage().rss
    const sample = (): void => {
      const { rss, heapUsed } = process.memoryUsage()
      report.rssPeak = Math.max(report.rssPeak, rss)
      report.heapPeak = Math.max(report.heapPeak, heapUsed)
    }
    sampler = setInterval(sample, 250)
    const connections = options.connections ?? 50
    log(
      `fuzzing 127.0.0.1:${port} with ${connections} connections, seed ${options.seed}, ` +
        `${packetsWanted === Infinity ? '' : `${packetsWanted} packets`}${packetsWanted !== Infinity && deadline !== Infinity ? ' or ' : ''}` +
        `${deadline === Infinity ? '' : `${options.seconds} s`}`
    )

    const done = (): boolean => report.packets >= packetsWanted || Date.now() >= deadline || uncaught.length > 0
    let lastProgress = Date.now()
    let lastPackets = 0
    const progress = setInterval(() => {
      const now = Date.now()
      const rate = Math.round(((report.packets - lastPackets) * 1000) / (now - lastProgress))
      lastProgress = now
      lastPackets = report.packets
      const { rss, heapUsed } = process.memoryUsage()
      log(
        `${Math.round((now - start) / 1000)} s: ${report.packets} packets (${rate}/s), ${report.connectionsOpened} connections, ` +
          `sessions ${broker.sessionCount}, good messages ${received.length}/${report.published}, rss ${mb(rss)}, heap ${mb(heapUsed)}`
      )
    }, options.progressMs ?? 5000)
    try {
      await Promise.all(Array.from({ length: connections }, (_, i) => fuzzWorker(port, new Rng(options.seed * 1000 + i), report, done)))
    } finally {
      clearInterval(progress)
    }

    // The good publisher stops; everything it sent must arrive, in order, once.
    clearInterval(publishTimer)
    publishTimer = undefined
    const settleUntil = Date.now() + 10_000
    while ((acknowledged < report.published || received.length < report.published) && Date.now() < settleUntil) await sleep(50)
    await sleep(200) // duplicates, if any, would arrive now
    report.delivered = received.length
    if (acknowledged < report.published) problems.push(`the good publisher got PUBACK for ${acknowledged} of ${report.published} messages`)
    problems.push(...checkSequence(received, report.published))

    // Connections the broker leaves open (idle fuzzers are still within the connect timeout) do not count as growth.
    await sleep(FUZZ_BROKER_OPTIONS.connectTimeout! * 1000 + 500)
    sample()
    report.heapAfter = collectedHeap()
    report.rssAfter = process.memoryUsage().rss
    const heapAllowed = options.maxHeapGrowthBytes ?? 64 * MB
    if (report.heapAfter - report.heapBefore > heapAllowed) {
      problems.push(
        `the heap grew by ${mb(report.heapAfter - report.heapBefore)} (from ${mb(report.heapBefore)} to ${mb(report.heapAfter)} after a full GC), more than ${mb(heapAllowed)}`
      )
    }
    const allowed = options.maxRssGrowthBytes ?? 200 * MB
    if (report.rssAfter - report.rssBefore > allowed) {
      problems.push(
        `resident memory grew by ${mb(report.rssAfter - report.rssBefore)} (from ${mb(report.rssBefore)} to ${mb(report.rssAfter)}), more than ${mb(allowed)}`
      )
    }
    report.sessionsAtEnd = broker.sessionCount
    if (report.idlersNotClosed > 0)
      problems.push(
        `${report.idlersNotClosed} of ${report.idlers} connections that never completed CONNECT were not closed by the connect timeout`
      )

    const fresh = await freshClientWorks(url)
    if (fresh !== undefined) problems.push(`a brand-new client after the run: ${fresh}`)
    problems.push(...goodEvents)
  } catch (error) {
    problems.push(`the run itself failed: ${stackOf(error)}`)
  } finally {
    clearInterval(publishTimer)
    clearInterval(sampler)
    report.elapsedMs = Date.now() - start
    await Promise.all(clients.map((client) => client.endAsync(true).catch(() => {})))
    await broker.close()
    process.off('uncaughtException', onUncaught)
    process.off('unhandledRejection', onRejection)
  }
  problems.push(...uncaught, ...[...brokerErrors.values()].map(({ count, text }) => `${count} × ${text}`))
  return report
}

export function summary(report: FuzzReport): string {
  const seconds = report.elapsedMs / 1000
  return (
    `${report.packets} packets (${report.byKind.valid} valid, ${report.byKind.mutated} mutated, ${report.byKind.random} random), ` +
    `${mb(report.bytes)} in ${seconds.toFixed(1)} s (${Math.round(report.packets / seconds)} packets/s), ` +
    `${report.connectionsOpened} connections (${report.connects} began with a valid CONNECT, ${report.closedByBroker} closed by the broker, ${report.idlers} idle), ` +
    `good messages ${report.delivered}/${report.published}, sessions left ${report.sessionsAtEnd}, ` +
    `rss ${mb(report.rssBefore)} → ${mb(report.rssAfter)} (peak ${mb(report.rssPeak)}), ` +
    `heap after GC ${mb(report.heapBefore)} → ${mb(report.heapAfter)} (peak ${mb(report.heapPeak)}), ` +
    `problems ${report.problems.length}, seed ${report.seed}`
  )
}

/** The numbered messages must be exactly 1..published, in order; nothing else may arrive on `fuzz/ok/#`. */
function checkSequence(received: Array<{ topic: string; payload: string; dup: boolean }>, published: number): string[] {
  const problems: string[] = []
  const foreign = received.filter((m) => m.topic !== GOOD_TOPIC)
  if (foreign.length > 0)
    problems.push(
      `messages on fuzz/ok/# that the good publisher did not send: ${foreign
        .slice(0, 5)
        .map((m) => JSON.stringify(m))
        .join(', ')}`
    )
  const numbers = received.filter((m) => m.topic === GOOD_TOPIC).map((m) => Number(m.payload))
  const missing: number[] = []
  const seen = new Set(numbers)
  for (let n = 1; n <= published; n++) if (!seen.has(n)) missing.push(n)
  if (missing.length > 0) problems.push(`${missing.length} good messages never arrived, first ${missing.slice(0, 10).join(', ')}`)
  if (seen.size !== numbers.length) problems.push(`${numbers.length - seen.size} good messages arrived more than once`)
  const disorder = numbers.findIndex((n, i) => i > 0 && n <= numbers[i - 1]!)
  if (disorder > 0) problems.push(`good messages out of order: ${numbers[disorder - 1]} then ${numbers[disorder]}`)
  return problems
}

async function goodClient(url: string, clientId: string, role: string, events: string[]): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 5, clientId, clean: true, reconnectPeriod: 0, connectTimeout: 5000, keepalive: 30 })
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })
  // From here on, any of these is a failure: the good clients must never notice the fuzzing.
  client.on('disconnect', (packet) =>
    events.push(`${role} got DISCONNECT 0x${(packet.reasonCode ?? 0).toString(16)}: ${JSON.stringify(packet.properties ?? {})}`)
  )
  client.on('close', () => events.push(`${role} connection closed`))
  client.on('error', (error) => events.push(`${role} error: ${error.message}`))
  return client
}

/** A new 3.1.1 client can connect, subscribe and get its own message back; undefined when it can. */
async function freshClientWorks(url: string): Promise<string | undefined> {
  const client = mqtt.connect(url, { clientId: 'good-fresh', reconnectPeriod: 0, connectTimeout: 5000 })
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve())
      client.once('error', reject)
      client.once('close', () => reject(new Error('closed before CONNACK')))
    })
    await client.subscribeAsync('fuzz/fresh', { qos: 1 })
    const message = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())))
    await client.publishAsync('fuzz/fresh', 'still here', { qos: 1 })
    const payload = await Promise.race([message, sleep(5000).then(() => 'nothing within 5 s')])
    return payload === 'still here' ? undefined : `got ${payload}`
  } catch (error) {
    return (error as Error).message
  } finally {
    await client.endAsync(true).catch(() => {})
  }
}

/** One fuzz connection after another until `done`. */
async function fuzzWorker(port: number, rng: Rng, report: FuzzReport, done: () => boolean): Promise<void> {
  while (!done()) {
    const socket = await open(port)
    if (socket === undefined) {
      await sleep(10)
      continue
    }
    report.connectionsOpened++
    let closed = false
    let endedByUs = false
    const closedPromise = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closed = true
        if (!endedByUs) report.closedByBroker++
        resolve()
      })
    )
    socket.on('data', () => {}) // read (and drop) what the broker answers, so that it never blocks on us
    socket.on('error', () => {})

    if (rng.chance(0.01)) {
      // Nothing, or the start of a packet: only the connect timeout may end this one.
      report.idlers++
      socket.write(rng.bytes(rng.int(3)))
      const timedOut = await Promise.race([
        closedPromise.then(() => false),
        sleep(FUZZ_BROKER_OPTIONS.connectTimeout! * 1000 + 3000).then(() => true)
      ])
      if (timedOut) report.idlersNotClosed++
      endedByUs = true
      socket.destroy()
      continue
    }

    const version: Version = rng.pick([3, 4, 5] as const)
    const connected = rng.chance(0.5)
    if (connected) {
      const connect = validConnect(rng, version)
      socket.write(encode(connect, version) ?? encode({ ...connect, will: undefined }, version)!)
      report.connects++
    }
    const budget = rng.chance(0.2) ? rng.range(100, 400) : rng.range(1, 40)
    const fragment = rng.chance(0.2)
    for (let i = 0; i < budget && !closed && !done(); i++) {
      const { kind, bytes } = fuzzBytes(rng, version, connected ? 0.9 : 0.5)
      report.packets++
      report.byKind[kind]++
      report.bytes += bytes.length
      let flushed = true
      if (fragment && bytes.length > 1) {
        const cut = 1 + rng.int(bytes.length - 1)
        socket.write(bytes.subarray(0, cut))
        flushed = socket.write(bytes.subarray(cut))
      } else {
        flushed = socket.write(bytes)
      }
      if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closedPromise])
      await new Promise((resolve) => setImmediate(resolve)) // let the broker read it (and close, if it will)
    }
    if (!closed) {
      endedByUs = true
      if (rng.chance(0.5)) socket.destroy()
      else socket.end()
    }
    await Promise.race([closedPromise, sleep(3000)])
    socket.destroy()
  }
}

function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    socket.setNoDelay(true)
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => {
      socket.destroy()
      resolve(undefined)
    })
  })
}

/** Heap in use after a full garbage collection (gc is exposed here, as the test runner does not pass --expose-gc). */
function collectedHeap(): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

function mb(bytes: number): string {
  return `${(bytes / MB).toFixed(1)} MB`
}

function stackOf(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error)
}
