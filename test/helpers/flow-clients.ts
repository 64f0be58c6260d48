import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import type { IConnackPacket, IConnectPacket, Packet } from 'mqtt-packet'
import { RawClient } from './raw-client.js'

/**
 * Clients for the protocol-flow tests: an mqtt.js client whose every incoming message is kept in an
 * `Inbox` from before CONNACK (queued messages arrive right after it), and a raw client already past
 * CONNECT. Both are closed by `t.after`.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** How long a test waits to be sure that something does NOT arrive. */
export const QUIET_MS = 300

export interface Received {
  topic: string
  payload: Buffer
  packet: IPublishPacket
}

/** Every PUBLISH an mqtt.js client receives, in order; `take` hands them out and never drops one. */
export class Inbox {
  readonly all: Received[] = []
  private taken = 0
  private waiter: (() => void) | undefined

  constructor (client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      this.all.push({ topic, payload, packet })
      const waiter = this.waiter
      this.waiter = undefined
      waiter?.()
    })
  }

  /** The next `count` messages not yet taken; rejects if they have not all arrived within `timeoutMs`. */
  async take (count: number, timeoutMs = 3000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs
    while (this.all.length - this.taken < count) {
      const left = deadline - Date.now()
      if (left <= 0) {
        throw new Error(`expected ${count} more message(s), got ${this.all.length - this.taken}: ` +
          this.all.slice(this.taken).map((m) => `${m.topic}=${m.payload.toString()}`).join(', '))
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => { clearTimeout(timer); resolve() }
      })
    }
    const batch = this.all.slice(this.taken, this.taken + count)
    this.taken += count
    return batch
  }

  async takeOne (timeoutMs?: number): Promise<Received> {
    return (await this.take(1, timeoutMs))[0]!
  }

  /** Asserts that nothing beyond what was taken arrives within `ms`. */
  async none (ms = QUIET_MS): Promise<void> {
    await sleep(ms)
    const extra = this.all.slice(this.taken)
    assert.deepEqual(extra.map((m) => `${m.topic}=${m.payload.toString()}`), [], 'unexpected message(s)')
  }
}

export interface Connected {
  client: MqttClient
  inbox: Inbox
  connack: IConnackPacket
}

/** An mqtt.js client that never reconnects or resubscribes by itself; ended (forcibly) after the test. */
export async function connectClient (t: TestContext, url: string, options: IClientOptions = {}): Promise<Connected> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 3000, resubscribe: false, ...options })
  const inbox = new Inbox(client)
  t.after(() => client.endAsync(true))
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve)
    client.once('error', reject)
    client.once('close', () => reject(new Error('closed before CONNACK')))
  })
  return { client, inbox, connack }
}

/** Ends an mqtt.js client cleanly and gives the broker a moment to take the session offline. */
export async function goOffline (client: MqttClient): Promise<void> {
  await client.endAsync()
  await sleep(100)
}

export interface RawConnected {
  raw: RawClient
  connack: IConnackPacket
  /** Sends a packet encoded for this client's protocol version. */
  send (packet: Packet): void
}

/** A raw client that has sent CONNECT and received a successful CONNACK. */
export async function connectRaw (
  t: TestContext, port: number, protocolVersion: 4 | 5, connect: Partial<IConnectPacket> = {}
): Promise<RawConnected> {
  const raw = await RawClient.open(port, protocolVersion)
  t.after(() => raw.destroy())
  const send = (packet: Packet): void => raw.send(packet, protocolVersion)
  send({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion,
    clean: true,
    clientId: `raw-${Math.random().toString(16).slice(2, 10)}`,
    keepalive: 0,
    ...connect
  } as IConnectPacket)
  const connack = await nextOf(raw, 'connack')
  const code = protocolVersion === 5 ? connack.reasonCode : connack.returnCode
  assert.equal(code, 0, 'CONNACK must accept the connection')
  return { raw, connack, send }
}

/** Asserts that the raw client receives nothing within `ms` (and is still connected). */
export async function expectSilence (raw: RawClient, ms = QUIET_MS): Promise<void> {
  await sleep(ms)
  assert.deepEqual(raw.pending(), [], 'unexpected packet(s)')
  assert.equal(raw.isClosed, false, 'the connection must stay open')
}

/** Subscribes a raw client and returns the SUBACK codes (3.1.1 granted QoS or 5.0 reason codes). */
export async function rawSubscribe (
  c: RawConnected, subscriptions: Array<{ topic: string, qos: 0 | 1 | 2, nl?: boolean, rap?: boolean, rh?: number }>,
  messageId = 1, properties?: Record<string, unknown>
): Promise<number[]> {
  c.send({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) } as Packet)
  const suback = await nextOf(c.raw, 'suback')
  assert.equal(suback.messageId, messageId)
  return suback.granted as number[]
}

/** The raw client's next packet, asserted to be a `cmd`. */
export async function nextOf<K extends Packet['cmd']> (
  raw: RawClient, cmd: K, timeoutMs?: number
): Promise<Extract<Packet, { cmd: K }>> {
  const packet = await raw.next(timeoutMs)
  assert.equal(packet.cmd, cmd, `expected ${cmd}, got ${JSON.stringify(packet)}`)
  return packet as Extract<Packet, { cmd: K }>
}
