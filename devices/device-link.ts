import type { IClientOptions, IConnackPacket, IPublishPacket, MqttClient, Packet } from 'mqtt'
import mqttPacket from 'mqtt-packet'
import { type AckMessage, encodeAck } from '../common/contract/ack.js'
import { COMMAND_NAMES, type Command, type CommandName, decodeCommand } from '../common/contract/command.js'
import { ContractError } from '../common/contract/contract-error.js'
import { encodeMeta, type MetaMessage } from '../common/contract/meta.js'
import { encodeReading, type ReadingFormat } from '../common/contract/reading-codec.js'
import type { ReadingMessage } from '../common/contract/reading-message.js'
import { STATUS_OFFLINE, STATUS_ONLINE } from '../common/contract/status.js'
import { commandFilter, deviceTopic, parseDeviceTopic } from '../common/contract/topics.js'
import type { BackoffOptions } from './backoff.js'
import { LinkCounters } from './link-counters.js'
import { LinkLoop } from './link-loop.js'
import { ReadingBuffer } from './reading-buffer.js'

/** What a device's command handler decides; `after` runs once the ack is on its way (a reboot). */
export type CommandOutcome = { ok: true; value?: number | string; after?: () => void } | { ok: false; reason: string }

export interface DeviceLinkOptions {
  /** Brokers to fail over through, tried in order: mqtt://, mqtts://, ws://, wss://. */
  urls: readonly string[]
  site: string
  device: string
  /** Defaults to `thermopost-{site}-{device}`. */
  clientId?: string
  mqttVersion?: 4 | 5
  username?: string
  password?: string
  format?: ReadingFormat
  /** Seconds the broker keeps the session after a connection ends (5.0; 3.1.1 uses the broker's own). */
  sessionExpiry?: number
  keepalive?: number
  backoff?: BackoffOptions
  /** Readings kept while disconnected, at most. */
  bufferLimit?: number
  /** Readings sent and not yet acknowledged, at most: readings drained after an outage go out at this pace. */
  window?: number
  /** Shared with the rest of a fleet; a link on its own gets its own. */
  counters?: LinkCounters
  /** Jitter source, seeded in the simulator. */
  random?: () => number
  meta: () => MetaMessage
  onCommand: (command: Command) => CommandOutcome
  /** Filters beyond the device's commands, subscribed with them (Home Assistant's birth message). */
  extraSubscriptions?: readonly string[]
  /** Messages on those extra filters. */
  onMessage?: (topic: string, payload: Buffer) => void
  /** Every successful CONNACK, after status and meta went out: the place to re-publish other retained state. */
  onConnect?: (sessionPresent: boolean) => void
}

const READING_ALIAS = 1
const WEEK_SECONDS = 7 * 24 * 3600
const STOP_TIMEOUT_MS = 3000

/**
 * One device's MQTT connection, kept up through failures by a LinkLoop (backoff, failover through the brokers).
 *
 * Sessions persist (3.1.1 clean=false, 5.0 Clean Start false with a week's expiry): when CONNACK says
 * the broker kept the session the command subscription is not sent again; otherwise it is. Status
 * `online` and meta are re-published on every connect, and the will leaves `offline` retained.
 *
 * Readings go through a bounded buffer and at most `window` are in flight: a reading is only gone from
 * the buffer once the broker has acknowledged it, so what was in flight when a link dropped is sent
 * again (at least once, with its original time), and readings taken meanwhile follow in order.
 */
export class DeviceLink {
  readonly counters: LinkCounters
  readonly buffer: ReadingBuffer
  private readonly loop: LinkLoop
  private inflight: ReadingMessage[] = []
  /** Packet ids of reading PUBLISHes awaiting PUBACK on this client, so only their PUBACKs are counted. */
  private readonly readingIds = new Set<number>()
  /** Compact readings on MQTT 5 go by topic alias; `aliasReady` once this connection's first one has set it. */
  private useAlias = false
  private aliasReady = false
  private readonly statusTopic: string
  private readonly readingTopic: string

  constructor(private readonly options: DeviceLinkOptions) {
    this.counters = options.counters ?? new LinkCounters()
    this.buffer = new ReadingBuffer(options.bufferLimit ?? 1000)
    this.loop = new LinkLoop(
      { ...options, counters: this.counters },
      {
        clientOptions: () => this.clientOptions(),
        onConnect: (client, connack) => this.onConnect(client, connack),
        onMessage: (client, topic, payload, packet) => this.onMessage(client, topic, payload, packet),
        onPacketSend: (packet) => this.countSent(packet),
        onPacketReceive: (packet) => this.countReceived(packet),
        onDisconnected: () => this.setDisconnected()
      }
    )
    this.statusTopic = deviceTopic(options.site, options.device, 'status')
    this.readingTopic = deviceTopic(options.site, options.device, 'reading')
  }

  get isConnected(): boolean {
    return this.loop.isConnected
  }
  /** The broker URL in use, or tried next. */
  get url(): string {
    return this.loop.url
  }

  /** Starts connecting; readings may be sent before the first CONNACK and wait in the buffer. */
  start(): void {
    this.loop.start()
  }

  /** Queues a reading; it goes out now if the link is up and the window has room. */
  sendReading(reading: ReadingMessage): void {
    if (this.buffer.push(reading)) this.counters.readingsDropped++
    this.pump()
  }

  /** Re-publishes the retained meta (after the interval changed). */
  publishMeta(): void {
    this.publish(deviceTopic(this.options.site, this.options.device, 'meta'), encodeMeta(this.options.meta()), true)
  }

  /** Publishes at QoS 1 if connected; retained state is re-published on every connect anyway. */
  publish(topic: string, payload: Buffer, retain: boolean): void {
    if (this.loop.isConnected) this.loop.client?.publish(topic, payload, { qos: 1, retain })
  }

  /**
   * Loses the connection as a network failure would (no DISCONNECT, so the broker sends the will),
   * then reconnects: after `offMs` if given (a reboot), else after the usual backoff.
   */
  drop(offMs?: number): void {
    this.loop.drop(offMs)
  }

  /** Stops for good: `offline` retained, then a clean DISCONNECT (which, unlike a failure, sends no will). */
  async stop(): Promise<void> {
    await this.loop.stop((client) => client.publishAsync(this.statusTopic, STATUS_OFFLINE, { qos: 1, retain: true }), STOP_TIMEOUT_MS)
  }

  private clientOptions(): IClientOptions {
    const { options } = this
    const version = options.mqttVersion ?? 5
    return {
      clientId: options.clientId ?? `thermopost-${options.site}-${options.device}`,
      protocolVersion: version,
      clean: false,
      will: { topic: this.statusTopic, payload: Buffer.from(STATUS_OFFLINE), qos: 1, retain: true },
      ...(version === 5 ? { properties: { sessionExpiryInterval: options.sessionExpiry ?? WEEK_SECONDS } } : {})
    }
  }

  private onConnect(client: MqttClient, connack: IConnackPacket): void {
    const { site, device } = this.options
    const version = this.options.mqttVersion ?? 5
    this.aliasReady = false
    this.useAlias = this.options.format === 'compact' && version === 5 && (connack.properties?.topicAliasMaximum ?? 0) >= READING_ALIAS
    if (!connack.sessionPresent) {
      const filters = [commandFilter(site, device), ...(this.options.extraSubscriptions ?? [])]
      client.subscribe(filters, { qos: 1 })
      this.counters.subscribes++
    }
    client.publish(this.statusTopic, STATUS_ONLINE, { qos: 1, retain: true })
    this.publishMeta()
    this.options.onConnect?.(connack.sessionPresent)
    this.pump()
  }

  private onMessage(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): void {
    const parsed = parseDeviceTopic(topic)
    if (parsed?.kind !== 'cmd' || parsed.site !== this.options.site || parsed.device !== this.options.device) {
      this.options.onMessage?.(topic, payload)
      return
    }
    const answer = this.runCommand(parsed.command, payload)
    if (answer === undefined) return
    const { outcome, message } = answer
    if (message.ok) this.counters.commandsAcked++
    else this.counters.commandsRefused++
    const reply = encodeAck(message)
    const sent = (): void => (outcome?.ok === true ? outcome.after?.() : undefined)
    // Only an MQTT 5 PUBLISH has properties: a 3.1.1 command is always answered on the ack topic.
    const responseTopic = packet.properties?.responseTopic
    if (responseTopic !== undefined) {
      const correlationData = packet.properties?.correlationData
      client.publish(responseTopic, reply, { qos: 1, properties: correlationData === undefined ? {} : { correlationData } }, sent)
    } else {
      client.publish(deviceTopic(this.options.site, this.options.device, 'ack'), reply, { qos: 1 }, sent)
    }
  }

  /** Decodes and runs a command; a malformed one is refused with the reason when its name is known, else ignored. */
  private runCommand(name: string, payload: Buffer): { outcome?: CommandOutcome; message: AckMessage } | undefined {
    let command: Command
    try {
      command = decodeCommand(name, payload)
    } catch (error) {
      if (!(error instanceof ContractError) || !(COMMAND_NAMES as readonly string[]).includes(name)) return undefined
      return { message: { ...idOf(payload), command: name as CommandName, ok: false, reason: error.message } }
    }
    const outcome = this.options.onCommand(command)
    const id = command.id === undefined ? {} : { id: command.id }
    const message: AckMessage = outcome.ok
      ? { ...id, command: command.name, ok: true, ...(outcome.value === undefined ? {} : { value: outcome.value }) }
      : { ...id, command: command.name, ok: false, reason: outcome.reason }
    return { outcome, message }
  }

  /** Sends buffered readings while the window has room. */
  private pump(): void {
    const client = this.loop.client
    if (!this.loop.isConnected || client === undefined) return
    const window = this.options.window ?? 16
    while (this.inflight.length < window) {
      const reading = this.buffer.shift()
      if (reading === undefined) return
      this.inflight.push(reading)
      const payload = encodeReading(reading, this.options.format ?? 'json')
      const callback = (error?: Error | null): void => {
        if (this.loop.client !== client) return
        const index = this.inflight.indexOf(reading)
        if (index >= 0) this.inflight.splice(index, 1)
        // A reason code ≥ 0x80 on the PUBACK: the broker will not take it, so sending it again would not help.
        if (error instanceof Error) this.counters.readingsRefused++
        else this.counters.readingsAcked++
        this.pump()
      }
      if (!this.useAlias) {
        client.publish(this.readingTopic, payload, { qos: 1 }, callback)
      } else {
        // The first reading on a connection names the topic and sets the alias; the rest send an empty topic.
        client.publish(this.aliasReady ? '' : this.readingTopic, payload, { qos: 1, properties: { topicAlias: READING_ALIAS } }, callback)
        this.aliasReady = true
      }
    }
  }

  /** The connection is gone: readings in flight go back to the buffer. */
  private setDisconnected(): void {
    this.readingIds.clear()
    const lost = this.inflight
    this.inflight = []
    this.counters.readingsDropped += this.buffer.requeue(lost)
  }

  private countSent(packet: Packet): void {
    if (packet.cmd !== 'publish') return
    const isReading = packet.topic === this.readingTopic || (packet.topic === '' && packet.properties?.topicAlias === READING_ALIAS)
    if (!isReading) return
    this.counters.readingPublishes++
    this.counters.readingPublishBytes += mqttPacket.generate(packet, { protocolVersion: this.options.mqttVersion ?? 5 }).length
    if (packet.messageId !== undefined) this.readingIds.add(packet.messageId)
  }

  private countReceived(packet: Packet): void {
    if (packet.cmd !== 'puback' || packet.messageId === undefined || !this.readingIds.delete(packet.messageId)) return
    this.counters.pubacks++
    this.counters.pubackBytes += mqttPacket.generate(packet, { protocolVersion: this.options.mqttVersion ?? 5 }).length
  }
}

/** The id of a JSON command too malformed to decode, if it has a readable one, so the refusal can name it. */
function idOf(payload: Buffer): { id?: string } {
  try {
    const id = (JSON.parse(payload.toString('utf8')) as { id?: unknown }).id
    return typeof id === 'string' && id !== '' ? { id } : {}
  } catch {
    return {}
  }
}
