import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { IConnackPacket, IConnectPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt-packet'
import { Inbox } from './mqtt-inbox.js'
import { RawClient } from './raw-client.js'
import { sleep } from './silence.js'

/**
 * Clients for protocol tests: raw sessions (exact packets) and mqtt.js clients (real behaviour),
 * each closed when its test ends.
 */

export type ProtocolVersion = 3 | 4 | 5

let idCounter = 0

/** A client id no other test uses (3.1 allows at most 23 characters). */
export function uniqueId(prefix = 'c'): string {
  idCounter += 1
  return `${prefix}-${process.pid % 10000}-${idCounter}`.slice(0, 23)
}

/** The CONNECT a raw client sends: protocol name and level follow `version`; the rest is overridable. */
export function connectPacket(version: ProtocolVersion, connect: Partial<IConnectPacket> = {}): IConnectPacket {
  return {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clientId: uniqueId(),
    clean: true,
    keepalive: 0,
    ...connect
  }
}

/** Opens a socket and sends CONNECT; returns the first packet the broker answers with, unchecked. */
export async function rawConnect(
  t: TestContext,
  port: number,
  version: ProtocolVersion,
  connect: Partial<IConnectPacket> = {}
): Promise<{ client: RawClient; reply: Packet }> {
  const client = await RawClient.open(port, version)
  t.after(() => client.destroy())
  client.send(connectPacket(version, connect), version)
  const reply = await client.next()
  return { client, reply }
}

/** Like `rawConnect`, and asserts the broker accepted (CONNACK with code 0). */
export async function rawSession(
  t: TestContext,
  port: number,
  version: ProtocolVersion,
  connect: Partial<IConnectPacket> = {}
): Promise<{ client: RawClient; connack: IConnackPacket }> {
  const { client, reply } = await rawConnect(t, port, version, connect)
  const connack = asConnack(reply)
  assert.equal(connackCode(connack, version), 0, 'CONNACK accepted')
  return { client, connack }
}

export function asConnack(packet: Packet): IConnackPacket {
  assert.equal(packet.cmd, 'connack')
  return packet as IConnackPacket
}

export function asPublish(packet: Packet): IPublishPacket {
  assert.equal(packet.cmd, 'publish')
  return packet as IPublishPacket
}

export function asDisconnect(packet: Packet): IDisconnectPacket {
  assert.equal(packet.cmd, 'disconnect')
  return packet as IDisconnectPacket
}

/** CONNACK's return code (3.1/3.1.1) or reason code (5.0). */
export function connackCode(connack: IConnackPacket, version: ProtocolVersion): number | undefined {
  return version === 5 ? connack.reasonCode : connack.returnCode
}

/** Asserts the broker sends a 5.0 DISCONNECT with `reasonCode` and then closes the connection. */
export async function expectDisconnect(client: RawClient, reasonCode: number | number[], timeoutMs = 2000): Promise<IDisconnectPacket> {
  const disconnect = asDisconnect(await client.next(timeoutMs))
  const allowed = Array.isArray(reasonCode) ? reasonCode : [reasonCode]
  assert.ok(
    allowed.includes(disconnect.reasonCode ?? 0),
    `DISCONNECT reason 0x${(disconnect.reasonCode ?? 0).toString(16)}, expected ${allowed.map((c) => `0x${c.toString(16)}`).join(' or ')}`
  )
  assert.equal(await client.waitClosed(timeoutMs), true, 'connection closed after DISCONNECT')
  return disconnect
}

/** Asserts the broker closes the connection without sending anything first. */
export async function expectClosedSilently(client: RawClient, timeoutMs = 2000): Promise<void> {
  assert.equal(await client.waitClosed(timeoutMs), true, `connection closed within ${timeoutMs} ms`)
  assert.deepEqual(
    client.pending().map((p) => p.cmd),
    [],
    'nothing sent before the close'
  )
}

/** An mqtt.js client that never reconnects on its own, ended when the test ends. Defaults to MQTT 5. */
export async function mqttClient(t: TestContext, url: string, options: IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    clientId: uniqueId('m'),
    reconnectPeriod: 0,
    connectTimeout: 2000,
    ...options
  })
  t.after(() => endQuietly(client))
  // connectAsync never settles when the broker just goes quiet; fail instead.
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mqtt.js client not connected to ${url} within 3 s`)), 3000)
    client.once('connect', () => {
      clearTimeout(timer)
      resolve()
    })
    client.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    client.once('close', () => {
      clearTimeout(timer)
      reject(new Error(`connection to ${url} closed before CONNACK`))
    })
  })
  return client
}

export async function endQuietly(client: MqttClient): Promise<void> {
  await Promise.race([client.endAsync(true).catch(() => {}), sleep(500)])
}

/** A fresh client can still subscribe and get its own QoS 1 message back: the broker survived. */
export async function assertBrokerAlive(t: TestContext, url: string): Promise<void> {
  const client = await mqttClient(t, url, { protocolVersion: 4 })
  const inbox = new Inbox(client)
  const topic = `alive/${uniqueId()}`
  const granted = await client.subscribeAsync(topic, { qos: 1 })
  assert.deepEqual(
    granted.map((g) => g.qos),
    [1]
  )
  await client.publishAsync(topic, 'still here', { qos: 1 })
  const message = await inbox.takeOne()
  assert.equal(message.topic, topic)
  assert.equal(message.payload.toString(), 'still here')
  await endQuietly(client)
}
