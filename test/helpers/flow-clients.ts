import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { IConnackPacket, IConnectPacket, Packet } from 'mqtt-packet'
import { Inbox } from './mqtt-inbox.js'
import type { RawClient } from './raw-client.js'
import { rawSession } from './session-clients.js'
import { sleep } from './silence.js'

/**
 * Clients for the protocol-flow tests: an mqtt.js client whose every incoming message is kept in an
 * `Inbox` from before CONNACK (queued messages arrive right after it), and a raw client already past
 * CONNECT. Both are closed by `t.after`.
 */

export interface Connected {
  client: MqttClient
  inbox: Inbox
  connack: IConnackPacket
}

/** An mqtt.js client that never reconnects or resubscribes by itself; ended (forcibly) after the test. */
export async function connectClient(t: TestContext, url: string, options: IClientOptions = {}): Promise<Connected> {
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
export async function goOffline(client: MqttClient): Promise<void> {
  await client.endAsync()
  await sleep(100)
}

export interface RawConnected {
  raw: RawClient
  connack: IConnackPacket
  /** Sends a packet encoded for this client's protocol version. */
  send(packet: Packet): void
}

/** A raw client that has sent CONNECT and received a successful CONNACK (`rawSession`, with a `send` bound to its version). */
export async function connectRaw(
  t: TestContext,
  port: number,
  protocolVersion: 4 | 5,
  connect: Partial<IConnectPacket> = {}
): Promise<RawConnected> {
  const { client: raw, connack } = await rawSession(t, port, protocolVersion, connect)
  return { raw, connack, send: (packet) => raw.send(packet, protocolVersion) }
}

/** Subscribes a raw client and returns the SUBACK codes (3.1.1 granted QoS or 5.0 reason codes). */
export async function rawSubscribe(
  c: RawConnected,
  subscriptions: Array<{ topic: string; qos: 0 | 1 | 2; nl?: boolean; rap?: boolean; rh?: number }>,
  messageId = 1,
  properties?: Record<string, unknown>
): Promise<number[]> {
  c.send({ cmd: 'subscribe', messageId, subscriptions, ...(properties ? { properties } : {}) } as Packet)
  const suback = await nextOf(c.raw, 'suback')
  assert.equal(suback.messageId, messageId)
  return suback.granted as number[]
}

/** The raw client's next packet, asserted to be a `cmd`. */
export async function nextOf<K extends Packet['cmd']>(raw: RawClient, cmd: K, timeoutMs?: number): Promise<Extract<Packet, { cmd: K }>> {
  const packet = await raw.next(timeoutMs)
  assert.equal(packet.cmd, cmd, `expected ${cmd}, got ${JSON.stringify(packet)}`)
  return packet as Extract<Packet, { cmd: K }>
}
