import mqtt, { type IClientOptions, type IConnackPacket, type IPublishPacket, type MqttClient, type Packet } from 'mqtt'
import { Backoff, type BackoffOptions, defaultBackoff } from './backoff.js'
import { endCleanly } from './end-cleanly.js'
import type { LinkCounters } from './link-counters.js'

export interface LinkLoopOptions {
  /** Brokers to fail over through, tried in order: mqtt://, mqtts://, ws://, wss://. */
  urls: readonly string[]
  backoff?: BackoffOptions
  /** Jitter source, seeded in the simulator. */
  random?: () => number
  /** Its connected, connects and losses are kept up to date. */
  counters: LinkCounters
  username?: string
  password?: string
  keepalive?: number
}

/** What a device does on top of the loop: its CONNECT options, and what happens on each connection. */
export interface LinkLoopHandlers {
  /** The next attempt's client id, protocol, session and will, asked once per attempt (an edge node's will changes with each). */
  clientOptions(): IClientOptions
  onConnect(client: MqttClient, connack: IConnackPacket): void
  onMessage(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): void
  onPacketSend?(packet: Packet): void
  onPacketReceive?(packet: Packet): void
  /** A connection that was up is gone: lost, dropped or stopped. */
  onDisconnected(): void
}

/**
 * A device's MQTT connection kept up through failures, as one loop for every kind of device. mqtt.js's fixed
 * reconnectPeriod can neither rotate through brokers nor back off, so the loop runs its own: a fresh mqtt.js
 * client per attempt, exponential backoff with jitter, and after a failed attempt the next broker in the list;
 * after a working connection drops, the same broker is tried first (it holds the session, if there is one).
 */
export class LinkLoop {
  private current: MqttClient | undefined
  private connected = false
  private stopped = true
  private urlIndex = 0
  private readonly backoff: Backoff
  private reconnectTimer: NodeJS.Timeout | undefined

  constructor(
    private readonly options: LinkLoopOptions,
    private readonly handlers: LinkLoopHandlers
  ) {
    if (options.urls.length === 0) throw new RangeError('a device needs at least one broker URL')
    this.backoff = new Backoff(options.backoff ?? defaultBackoff, options.random)
  }

  /** The client of the current attempt or connection. */
  get client(): MqttClient | undefined {
    return this.current
  }
  get isConnected(): boolean {
    return this.connected
  }
  /** The broker URL in use, or tried next. */
  get url(): string {
    return this.options.urls[this.urlIndex % this.options.urls.length]!
  }

  start(): void {
    this.stopped = false
    this.connect()
  }

  /**
   * Loses the connection as a network failure would (no DISCONNECT, so the broker sends the will),
   * then reconnects: after `offMs` if given (a reboot), else after the usual backoff.
   */
  drop(offMs?: number): void {
    if (this.current !== undefined && !this.stopped) this.lose(this.current, offMs)
  }

  /**
   * Leaves this broker as `drop` does (the will goes out) and connects at once to the next one in the list: for
   * a device told that what it needs is gone from this broker.
   */
  moveOn(): void {
    if (this.current === undefined || this.stopped || !this.connected) return
    this.urlIndex++
    this.lose(this.current, 0)
  }

  /** Stops for good: `farewell` (the device's last words), then a clean DISCONNECT, which sends no will. */
  async stop(farewell: (client: MqttClient) => Promise<unknown>, timeoutMs: number): Promise<void> {
    this.stopped = true
    clearTimeout(this.reconnectTimer)
    const client = this.current
    this.current = undefined
    if (client === undefined) return
    if (!this.connected) {
      client.end(true)
      return
    }
    this.setDisconnected()
    await endCleanly(client, () => farewell(client), timeoutMs)
  }

  private connect(): void {
    const { username, password, keepalive } = this.options
    const client = mqtt.connect(this.url, {
      // The loop reconnects, and a device subscribes when its session needs it.
      reconnectPeriod: 0,
      resubscribe: false,
      connectTimeout: 10_000,
      keepalive: keepalive ?? 60,
      queueQoSZero: false,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...this.handlers.clientOptions()
    })
    this.current = client
    client.on('connect', (connack) => {
      if (this.current !== client) return
      this.connected = true
      this.options.counters.connected++
      this.options.counters.connects++
      this.backoff.reset()
      this.handlers.onConnect(client, connack)
    })
    client.on('message', (topic, payload, packet) => {
      if (this.current === client) this.handlers.onMessage(client, topic, payload, packet)
    })
    client.on('packetsend', (packet) => this.handlers.onPacketSend?.(packet))
    client.on('packetreceive', (packet) => this.handlers.onPacketReceive?.(packet))
    client.on('close', () => {
      if (this.current === client) this.lose(client)
    })
    // A refused connection or a broken socket: 'close' follows and handles it.
    client.on('error', () => {})
  }

  /** The connection is gone (or being dropped); the loop goes on unless stopped. */
  private lose(client: MqttClient, offMs?: number): void {
    const wasConnected = this.connected
    this.current = undefined
    if (wasConnected) {
      this.setDisconnected()
      this.options.counters.losses++
    } else {
      // The attempt failed: the next one goes to the next broker.
      this.urlIndex++
    }
    client.end(true)
    if (this.stopped) return
    clearTimeout(this.reconnectTimer)
    this.reconnectTimer = setTimeout(() => this.connect(), offMs ?? this.backoff.next())
  }

  private setDisconnected(): void {
    this.connected = false
    this.options.counters.connected--
    this.handlers.onDisconnected()
  }
}
