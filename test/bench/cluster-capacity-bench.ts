import { pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import mqtt, { type MqttClient } from 'mqtt'
import { startRedisServer } from '../helpers/redis-server.js'
import { publishBurst } from './burst-publisher.js'
import { type BenchNode, clusterCpuSeconds, startBenchNode, stopBenchNodes } from './cluster-bench-nodes.js'
import { rssKb } from './proc.js'

/**
 * The inputs of the README's capacity plan, measured: what one unit of work (a device connecting, a QoS 1 message
 * to a persistent session) costs a cluster node and Redis. Two nodes on one redis-server with appendfsync always.
 */
export interface CapacityFigure {
  work: string
  /** How many units: connections or messages. */
  units: number
  perSecond: number
  /** Microseconds of CPU (every node) per unit. */
  nodeCpuUs: number
  redisCpuUs: number
  /** The bench's mqtt.js clients' use of their core over the work: at 80 % or more, `perSecond` is theirs. */
  clientCpuPercent: number
  /** Redis commands per unit, from INFO commandstats (a MULTI's commands count one by one). */
  redisCommands: number
}

export interface CapacityFigures {
  figures: CapacityFigure[]
  /** The connected node's RSS growth per idle persistent connection, KB. */
  idleConnectionKb: number
}

const DEVICES = 2000
/** Connections opened at once while the fleet connects. */
const CONNECTING_AT_ONCE = 50
const MESSAGES = 5000
/**
 * The one limit set: the default queue of 1000 would drop most of a burst queued for an offline session, and
 * could drop from an online one that falls behind on this shared machine.
 */
const NODE_ARGS = ['--max-queued-messages', '100000']

/** Counts what happens between `start()` and `stop(units)` on the nodes and on Redis. */
class Meter {
  private before = { nodes: 0, redis: 0, clients: 0, commands: 0, at: 0 }

  constructor(
    private readonly nodes: readonly BenchNode[],
    private readonly redisPid: number,
    private readonly redis: Redis
  ) {}

  async start(): Promise<void> {
    this.before = { ...clusterCpuSeconds(this.nodes, this.redisPid), commands: await this.commands(), at: performance.now() }
  }

  async stop(work: string, units: number): Promise<CapacityFigure> {
    const seconds = (performance.now() - this.before.at) / 1000
    const [cpu, commands] = [clusterCpuSeconds(this.nodes, this.redisPid), await this.commands()]
    return {
      work,
      units,
      perSecond: units / seconds,
      nodeCpuUs: ((cpu.nodes - this.before.nodes) / units) * 1e6,
      redisCpuUs: ((cpu.redis - this.before.redis) / units) * 1e6,
      clientCpuPercent: ((cpu.clients - this.before.clients) / seconds) * 100,
      // Less the INFO that read the count before.
      redisCommands: (commands - this.before.commands - 1) / units
    }
  }

  private async commands(): Promise<number> {
    const stats = await this.redis.info('commandstats')
    let calls = 0
    for (const match of stats.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) calls += Number(match[1])
    return calls
  }
}

/** Resolves once `client` has received `count` messages. */
function arrivals(client: MqttClient, count: number): Promise<void> {
  let got = 0
  return new Promise((resolve) => {
    client.on('message', () => {
      if (++got === count) resolve()
    })
  })
}

const persistent = (clientId: string): mqtt.IClientOptions => ({ clientId, clean: false, reconnectPeriod: 0 })

async function connectFleet(node: BenchNode): Promise<MqttClient[]> {
  const devices: MqttClient[] = []
  for (let first = 0; first < DEVICES; first += CONNECTING_AT_ONCE) {
    const batch = Array.from({ length: Math.min(CONNECTING_AT_ONCE, DEVICES - first) }, async (_, offset) => {
      const id = `cap-device-${first + offset}`
      const device = await mqtt.connectAsync(node.url, persistent(id))
      await device.subscribeAsync(`commands/${id}`, { qos: 1 })
      return device
    })
    devices.push(...(await Promise.all(batch)))
  }
  return devices
}

/** QoS 1 messages from a publisher on `from` to a persistent subscriber on `to`, online throughout. */
async function toOnlineSession(meter: Meter, from: BenchNode, to: BenchNode, work: string): Promise<CapacityFigure> {
  const subscriber = await mqtt.connectAsync(to.url, persistent(`cap-online-${Date.now()}`))
  await subscriber.subscribeAsync('bench/#', { qos: 1 })
  await new Promise((resolve) => setTimeout(resolve, 500)) // the publisher's node hears of the filter
  const publisher = await mqtt.connectAsync(from.url, { clientId: `cap-pub-${Date.now()}`, reconnectPeriod: 0 })
  const arrived = arrivals(subscriber, MESSAGES)
  await meter.start()
  await publishBurst(publisher, 'bench', 1, MESSAGES)
  await arrived
  const figure = await meter.stop(work, MESSAGES)
  await Promise.all([publisher.endAsync(), subscriber.endAsync()])
  return figure
}

/** QoS 1 messages queued for a persistent session while its client is away, then drained when it returns. */
async function throughOfflineSession(meter: Meter, node: BenchNode): Promise<CapacityFigure[]> {
  const clientId = `cap-offline-${Date.now()}`
  const subscriber = await mqtt.connectAsync(node.url, persistent(clientId))
  await subscriber.subscribeAsync('bench/#', { qos: 1 })
  await subscriber.endAsync()
  const publisher = await mqtt.connectAsync(node.url, { clientId: `cap-pub-${Date.now()}`, reconnectPeriod: 0 })
  await meter.start()
  await publishBurst(publisher, 'bench', 1, MESSAGES)
  const queued = await meter.stop('QoS 1 message queued for an offline persistent session', MESSAGES)
  await publisher.endAsync()
  await meter.start()
  const returned = mqtt.connect(node.url, persistent(clientId))
  await arrivals(returned, MESSAGES)
  const drained = await meter.stop('the same message delivered when its client returns', MESSAGES)
  await returned.endAsync()
  return [queued, drained]
}

export async function runClusterCapacityBench(): Promise<CapacityFigures> {
  const server = await startRedisServer()
  const nodes: BenchNode[] = []
  const redis = new Redis(server.url)
  try {
    nodes.push(await startBenchNode(server.url, 'n1', NODE_ARGS), await startBenchNode(server.url, 'n2', NODE_ARGS))
    const meter = new Meter(nodes, server.pid, redis)
    const figures: CapacityFigure[] = []
    const rssBefore = rssKb(nodes[0]!.child.pid!)
    await meter.start()
    const devices = await connectFleet(nodes[0]!)
    figures.push(await meter.stop('device connecting (persistent session, one subscription)', DEVICES))
    await new Promise((resolve) => setTimeout(resolve, 2000)) // settle before reading RSS
    const idleConnectionKb = (rssKb(nodes[0]!.child.pid!) - rssBefore) / DEVICES
    figures.push(await toOnlineSession(meter, nodes[0]!, nodes[0]!, 'QoS 1 message to an online persistent session, same node'))
    figures.push(await toOnlineSession(meter, nodes[0]!, nodes[1]!, 'QoS 1 message to an online persistent session, cross-node'))
    figures.push(...(await throughOfflineSession(meter, nodes[0]!)))
    await Promise.all(devices.map((device) => device.endAsync()))
    return { figures, idleConnectionKb }
  } finally {
    redis.disconnect()
    await stopBenchNodes(nodes)
    await server.stop()
  }
}

export function renderClusterCapacityBench({ figures, idleConnectionKb }: CapacityFigures): string {
  const number = (value: number, digits = 0): string =>
    value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })
  return [
    `Cluster capacity inputs: two nodes on one Redis (appendfsync always), nodes run with ${NODE_ARGS.join(' ')}`,
    '',
    '| work | units | per second | node CPU µs | Redis CPU µs | Redis commands | clients CPU % |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...figures.map(
      (f) =>
        `| ${f.work} | ${number(f.units)} | ${number(f.perSecond)} | ${number(f.nodeCpuUs)} | ${number(f.redisCpuUs)} | ${number(f.redisCommands, 1)} | ${number(f.clientCpuPercent)} |`
    ),
    '',
    "The load is this process's mqtt.js clients: a row whose clients' CPU is 80 % or more has a per-second figure bound by them, not by the cluster.",
    '',
    `Node RSS per idle persistent device connection: ${number(idleConnectionKb, 1)} KB (${number(DEVICES)} devices).`
  ].join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(renderClusterCapacityBench(await runClusterCapacityBench()))
}
