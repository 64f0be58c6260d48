import mqtt, { type MqttClient } from 'mqtt'
import { sleep } from '../../helpers/silence.js'
import { stackOf } from './failure-watch.js'

const GOOD_TOPIC = 'fuzz/ok/n'
const PUBLISH_EVERY_MS = 5

/** A message the good subscriber received. */
interface Received {
  topic: string
  payload: string
  dup: boolean
}

/**
 * Two well-behaved mqtt.js 5.0 clients beside the fuzzing: a publisher of numbered QoS 1 messages on
 * `fuzz/ok/n` and a subscriber of `fuzz/ok/#`. Neither may ever be disconnected, and every numbered message
 * must arrive once and in order.
 */
export class GoodTraffic {
  readonly received: Received[] = []
  /** Anything the good clients noticed of the fuzzing (a DISCONNECT, a close, an error, a failed PUBLISH). */
  readonly events: string[] = []
  /** The number of the last message published. */
  published = 0
  private acknowledged = 0
  private readonly clients: MqttClient[] = []
  private publishTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly url: string,
    private readonly tag: string
  ) {}

  /** Connects the subscriber, then the publisher, which publishes every few milliseconds from then on. */
  async start(): Promise<void> {
    const subscriber = await goodClient(this.url, `good-sub-${this.tag}`, 'subscriber', this.events)
    this.clients.push(subscriber)
    subscriber.on('message', (topic, payload, packet) => this.received.push({ topic, payload: payload.toString(), dup: packet.dup }))
    await subscriber.subscribeAsync('fuzz/ok/#', { qos: 1 })
    const publisher = await goodClient(this.url, `good-pub-${this.tag}`, 'publisher', this.events)
    this.clients.push(publisher)

    let nextNumber = 1
    this.publishTimer = setInterval(() => {
      const n = nextNumber++
      this.published = n
      publisher.publishAsync(GOOD_TOPIC, String(n), { qos: 1 }).then(
        () => {
          this.acknowledged++
        },
        (error: unknown) => {
          this.events.push(`publisher: PUBLISH ${n} failed: ${stackOf(error)}`)
        }
      )
    }, PUBLISH_EVERY_MS)
  }

  /** The publisher stops; everything it sent must arrive, in order, once. The problems found. */
  async finish(): Promise<string[]> {
    this.stopPublishing()
    const settleUntil = Date.now() + 10_000
    while ((this.acknowledged < this.published || this.received.length < this.published) && Date.now() < settleUntil) await sleep(50)
    await sleep(200) // duplicates, if any, would arrive now
    const problems: string[] = []
    if (this.acknowledged < this.published)
      problems.push(`the good publisher got PUBACK for ${this.acknowledged} of ${this.published} messages`)
    problems.push(...checkSequence(this.received, this.published))
    return problems
  }

  stopPublishing(): void {
    clearInterval(this.publishTimer)
    this.publishTimer = undefined
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.endAsync(true).catch(() => {})))
  }
}

/** The numbered messages must be exactly 1..published, in order; nothing else may arrive on `fuzz/ok/#`. */
function checkSequence(received: readonly Received[], published: number): string[] {
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
export async function freshClientWorks(url: string): Promise<string | undefined> {
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
