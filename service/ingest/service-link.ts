import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt'
import type { Logger } from 'pino'
import { ServiceError } from '../service-error.js'
import type { Publisher } from './publisher.js'
import { type ServiceConnection, serviceClientOptions } from './service-client-options.js'

/** One message as the parts of the service see it. */
export interface IncomingMessage {
  topic: string
  payload: Buffer
  qos: 0 | 1 | 2
  retain: boolean
  /** The MQTT 5 subscription identifiers it came with: which of our filters delivered it. */
  subscriptionIdentifiers: number[]
  receivedAt: number
}

/**
 * Handles one message. For QoS 1, `deferAck` keeps the link from acknowledging it when the handler returns
 * and hands back the function that sends the PUBACK later (a no-op if that connection is gone by then).
 * A returned promise holds every later message until it settles: that is how ingest stops reading.
 */
export type MessageHandler = (message: IncomingMessage, deferAck: () => () => void) => void | Promise<void>

export interface PlannedFilter {
  topic: string
  subscriptionIdentifier: number
  /** MQTT 5 No Local: not the messages this client published itself (the peers' topics, where it writes too). */
  noLocal?: boolean
}

/** A retained announcement of the link's owner: published on every connect, and its will when the link dies. */
export interface Presence {
  topic: string
  online: Buffer
  gone: Buffer
  /** Published on a clean close, which sends no will; absent: nothing is. */
  stopped?: Buffer
}

export interface ServiceLinkOptions extends ServiceConnection {
  /** How long the broker keeps our session, and the QoS 1 readings queued in it, while we are away; a day by default. */
  sessionExpirySeconds?: number
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
  presence?: Presence
  /**
   * Called when the broker ends the connection because another connection took the session over (0x8E); the
   * link then stops instead of reconnecting. Absent: the link reconnects, taking the session back (its own).
   */
  onTakenOver?: () => void
  /** Called on every CONNACK with whether the broker still had the session, after the presence is published. */
  onConnect?: (sessionPresent: boolean) => void
}

/** What the link does with what it receives, given when it connects (by ingest, which sorts the messages out). */
export interface Subscriber {
  /** Subscribed, QoS 1, on every connect, so the retained status and meta come again. */
  filters: readonly PlannedFilter[]
  onMessage: MessageHandler
}

/** mqtt.js's cap, and the protocol's: as many unacknowledged QoS 1 messages towards us as the broker will send. */
const RECEIVE_MAXIMUM = 65_535
/** Given to mqtt.js's handleMessage callback so that it sends no PUBACK of its own (publish handler: an error skips it). */
const ACK_DEFERRED = new Error('acknowledgement deferred until stored')
/** DISCONNECT reason code: another connection with this client id took the session over. */
const SESSION_TAKEN_OVER = 0x8e

/**
 * The service's one MQTT connection, through mqtt.js 5: persistent session (Clean Start false, a session
 * expiry), a large Receive Maximum, MQTT 5 subscription identifiers, and acknowledgements under the
 * service's control.
 *
 * Why not `customHandleAcks`: mqtt.js handles incoming packets strictly one after another, and it only moves
 * on once that callback (and `handleMessage`'s) has been called; deferring either until a batch is stored
 * would hold every later packet, so a batch could never hold more than one message. Instead
 * `handleMessage` answers at once with an error, which mqtt.js's publish handler takes as "send no
 * PUBACK", and the PUBACK goes out later through the client's own packet writer, on the same connection
 * only: after a reconnect the broker sends every unacknowledged message again anyway. Holding the
 * `handleMessage` callback is kept for what it is good at: stopping the reading altogether (back-pressure).
 */
export class ServiceLink implements Publisher {
  private client: MqttClient | undefined
  private firstSubscribed: (() => void) | undefined
  /** Resolves once the filters were first subscribed. */
  readonly ready: Promise<void>

  /**
   * Made before the parts that publish through it (commands, alerts), which get it at construction; it
   * connects once ingest, which needs those parts for its routes, hands it the subscriber.
   */
  constructor(private readonly options: ServiceLinkOptions) {
    if (options.urls.length === 0) throw new RangeError('the service needs at least one broker URL')
    this.ready = new Promise((resolve) => {
      this.firstSubscribed = resolve
    })
  }

  /** Connects (and reconnects for ever), subscribing `subscriber.filters` on every connect. Once only. */
  connect(subscriber: Subscriber): void {
    if (this.client !== undefined) throw new Error('the service link is already connected')
    const options = this.options
    const clientOptions: IClientOptions = {
      ...serviceClientOptions(options),
      clean: false,
      resubscribe: false,
      properties: { sessionExpiryInterval: options.sessionExpirySeconds ?? 86_400, receiveMaximum: RECEIVE_MAXIMUM },
      ...(options.presence === undefined ? {} : { will: presenceWill(options.presence) })
    }
    const client = mqtt.connect(clientOptions)
    this.client = client
    client.handleMessage = (packet, callback) => this.handle(client, subscriber, packet, callback)
    client.on('connect', (connack) => {
      options.logger.info({ sessionPresent: connack.sessionPresent, clientId: options.clientId }, 'connected to the broker')
      this.subscribe(client, subscriber.filters)
      const presence = options.presence
      if (presence !== undefined)
        client
          .publishAsync(presence.topic, presence.online, { qos: 1, retain: true })
          .catch((error: unknown) => options.logger.warn({ err: error }, 'announcing this instance failed'))
      options.onConnect?.(connack.sessionPresent)
    })
    client.on('disconnect', (packet) => {
      if (packet.reasonCode !== SESSION_TAKEN_OVER) return
      const onTakenOver = options.onTakenOver
      if (onTakenOver === undefined) {
        options.logger.warn(
          { clientId: options.clientId },
          `another connection took over the session ${options.clientId}; taking it back. If this repeats, two instances have the same --client-id`
        )
        return
      }
      options.logger.info({ clientId: options.clientId }, `its owner took the session ${options.clientId} back`)
      client.end(true)
      onTakenOver()
    })
    client.on('offline', () => options.logger.warn('lost the broker; reconnecting'))
    client.on('error', (error) => options.logger.warn({ err: error }, 'broker connection error'))
  }

  /** Whether the link is connected to a broker now. */
  get connected(): boolean {
    return this.client?.connected === true
  }

  /** Publishes; rejects with ServiceError 'broker-unavailable' while not connected rather than queueing. */
  async publish(topic: string, payload: Buffer, options: IClientPublishOptions): Promise<void> {
    if (this.client?.connected !== true) throw new ServiceError('broker-unavailable')
    await this.client.publishAsync(topic, payload, options)
  }

  /**
   * A clean DISCONNECT (after the presence's `stopped`) once our own publishes are acknowledged (waiting at
   * most `waitMs`); the broker keeps the session (and queues readings) for its expiry. Without a broker, or past the wait, the socket is just closed:
   * mqtt.js's own `end()` would wait for those acknowledgements forever.
   */
  async close(waitMs = 2000): Promise<void> {
    const client = this.client
    if (client === undefined) return
    const presence = this.options.presence
    if (presence?.stopped !== undefined && client.connected)
      client.publish(presence.topic, presence.stopped, { qos: 1, retain: true }, () => {})
    const unacknowledged = (): boolean => Object.keys(client.outgoing).length > 0
    if (client.connected && unacknowledged()) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        new Promise<void>((resolve) => client.once('outgoingEmpty', resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, waitMs)
        })
      ])
      clearTimeout(timer)
    }
    await client.endAsync(!client.connected || unacknowledged())
  }

  private subscribe(client: MqttClient, filters: readonly PlannedFilter[]): void {
    const { logger } = this.options
    // Every SUBSCRIBE, even of a filter the kept session has, makes the broker send its retained messages again.
    Promise.all(
      filters.map(({ topic, subscriptionIdentifier, noLocal }) =>
        client.subscribeAsync(topic, { qos: 1, nl: noLocal === true, properties: { subscriptionIdentifier } })
      )
    )
      .then((granted) => {
        const refused = granted.flat().filter((grant) => grant.qos >= 0x80)
        if (refused.length > 0) logger.error({ refused: refused.map((grant) => grant.topic) }, 'the broker refused subscriptions')
        this.firstSubscribed?.()
        this.firstSubscribed = undefined
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'subscribing failed; trying again on the next connect'))
  }

  private handle(client: MqttClient, subscriber: Subscriber, packet: IPublishPacket, callback: (error?: Error) => void): void {
    const stream = client.stream
    let deferred = false
    const deferAck = (): (() => void) => {
      deferred = packet.qos === 1
      const messageId = packet.messageId
      return () => {
        if (!deferred || client.stream !== stream || !client.connected) return
        sendPacket(client, { cmd: 'puback', messageId, reasonCode: 0 })
      }
    }
    const identifiers = packet.properties?.subscriptionIdentifier
    const message: IncomingMessage = {
      topic: packet.topic,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos,
      retain: packet.retain,
      subscriptionIdentifiers: identifiers === undefined ? [] : [identifiers].flat(),
      receivedAt: Date.now()
    }
    const finish = (): void => callback(deferred ? ACK_DEFERRED : undefined)
    let result: unknown
    try {
      result = subscriber.onMessage(message, deferAck)
    } catch (error) {
      this.options.logger.error({ err: error, topic: message.topic }, 'handling a message failed')
    }
    if (result instanceof Promise) {
      result
        .catch((error: unknown) => this.options.logger.error({ err: error, topic: message.topic }, 'handling a message failed'))
        .finally(finish)
    } else {
      finish()
    }
  }
}

/**
 * The presence's will, with a Will Delay: a connection that takes the session over before the delay ends
 * cancels it [MQTT-3.1.3-9]. Without one, the owner taking its session back from an adopter would set off the
 * adopter's will ("gone"), a survivor would adopt again, and the two would take the session from each other
 * for ever. It costs the survivors a second before they notice a death.
 */
function presenceWill(presence: Presence): NonNullable<IClientOptions['will']> {
  return { topic: presence.topic, payload: presence.gone, qos: 1, retain: true, properties: { willDelayInterval: PRESENCE_WILL_DELAY_S } }
}

const PRESENCE_WILL_DELAY_S = 1

/** mqtt.js's own packet writer (typed `private`): writes in order with the client's other packets, never stores. */
function sendPacket(client: MqttClient, packet: { cmd: 'puback'; messageId: number | undefined; reasonCode: number }): void {
  ;(client as unknown as { _sendPacket(packet: object, cb: undefined, cbStorePut: undefined, noStore: boolean): void })._sendPacket(
    packet,
    undefined,
    undefined,
    true
  )
}
