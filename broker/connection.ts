import type { Packet } from 'mqtt-packet'
import type { Logger } from 'pino'
import type { ClientIdentity } from './auth/hooks.js'
import {
  type CallbackTarget,
  destroySocket,
  listenOnSocket,
  onConnectTimeout,
  onDrainTimeout,
  onKeepaliveCheck,
  onSocketDrain,
  uncorkConnection
} from './connection-callbacks.js'
import { PublishRate } from './limits/publish-rate.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { Delivery, EncodedPublish } from './message.js'
import type { NegotiatedSettings } from './negotiated-settings.js'
import type { BrokerOptions } from './options.js'
import { type DurableReply, PendingAcks } from './pending-acks.js'
import { encodeAck } from './protocol/codec.js'
import { PacketFramer } from './protocol/framer.js'
import { ProtocolError } from './protocol/protocol-error.js'
import type { ProtocolErrorLog } from './protocol/protocol-error-log.js'
import { Reason } from './protocol/reason-codes.js'
import { TopicAliases } from './protocol/topic-aliases.js'
import { encodeWithinPacketSize } from './protocol/within-packet-size.js'
import { encodedPublish, type PerSubscriber } from './publish-encoding.js'
import type { Session, SessionLink } from './session/session.js'
import type { BrokerStats } from './stats.js'
import type { Store } from './store/store.js'

/** Copies of QoS 1/2 PUBLISHes up to this size are patched in one buffer; larger ones are written as head + shared tail. */
const PATCH_IN_COPY_LIMIT = 1024

type ConnectionState = 'awaiting-connect' | 'connecting' | 'connected' | 'closed'

/** What every connection needs from the broker around it (the Broker is one). */
export interface ConnectionHost {
  readonly options: Readonly<BrokerOptions>
  readonly stats: BrokerStats
  /** Acknowledgements that confirm stored state wait for its durability barrier. */
  readonly store: Pick<Store, 'durable'>
  durable(): Promise<void>
  readonly logger: Logger
  /** Decodes and handles one packet (handlers/index.ts). */
  readonly packets: PacketSink
  /** Where connections closed for what they sent are logged. */
  readonly protocolErrors: Pick<ProtocolErrorLog, 'report'>
  /** Called once per connection when it ends, however it ends. */
  connectionClosed(connection: Connection, wasConnected: boolean): void
}

export interface PacketSink {
  /** A promise when the handler waits: the connection reads no further packets until it settles. */
  dispatch(connection: Connection, wire: Buffer): Promise<void> | undefined
}

/**
 * One client's network connection: bytes in through the framer to the packet handlers, packets out
 * with writes batched per tick (cork / uncork), keepalive, and the per-connection state that CONNECT
 * settles (the protocol level, the client's limits, 5.0 topic aliases). It knows nothing of topics or routing.
 * Handlers change it only through its methods: `connectReceived`, `applyConnect`, `markConnected`.
 */
export class Connection implements SessionLink, ClientIdentity, CallbackTarget {
  private state: ConnectionState = 'awaiting-connect'
  private version: 3 | 4 | 5 = 4
  private id = ''
  private user: string | undefined
  private boundSession: Session | undefined
  /** How the connection ends for its will: false once a normal DISCONNECT arrived. */
  private willOnClose = true
  private window: number
  private clientMaxPacketSize = Infinity
  private wantsProblemInformation = true
  /** 5.0 topic aliases, made once one is in play. */
  private aliases: TopicAliases | undefined
  /** The client's PUBLISH budget, when a rate is configured (made on first PUBLISH). */
  private publishRate: PublishRate | undefined
  /** Acknowledgements waiting for a durable store (made on first use). */
  private pendingAcks: PendingAcks | undefined
  private readonly framer: PacketFramer
  private corked = false
  private paused = false
  private lastPacketAt = Date.now()
  private keepaliveMs = 0
  private timer: NodeJS.Timeout | undefined
  private drainTimer: NodeJS.Timeout | undefined

  /**
   * @param anonymousAllowed the listener's policy for clients without a user name (ListenerPolicy), passed on
   *   to the authentication hook with the CONNECT's credentials.
   * @param overConnectionRate the connection came from an address over its connection rate: CONNECT will be refused.
   */
  constructor(
    readonly socket: ClientSocket,
    private readonly host: ConnectionHost,
    readonly anonymousAllowed: boolean,
    readonly overConnectionRate: boolean
  ) {
    this.window = host.options.maxInflight
    this.framer = new PacketFramer(host.options.maxPacketSize)
    socket.setNoDelay(true)
    listenOnSocket(socket, this)
    this.timer = setTimeout(onConnectTimeout, host.options.connectTimeout * 1000, this)
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress
  }

  get isOpen(): boolean {
    return this.state !== 'closed' && !this.socket.destroyed
  }

  /** Nothing but CONNECT may come yet [MQTT-3.1.0-1]. */
  get awaitingConnect(): boolean {
    return this.state === 'awaiting-connect'
  }

  get protocolVersion(): 3 | 4 | 5 {
    return this.version
  }

  /** '' until a CONNECT is accepted. */
  get clientId(): string {
    return this.id
  }

  get username(): string | undefined {
    return this.user
  }

  /** The session, once connected. */
  get session(): Session | undefined {
    return this.boundSession
  }

  get sendWindow(): number {
    return this.window
  }

  /** Whether the will goes out when the connection ends: not after a normal DISCONNECT [MQTT-3.1.2-10]. */
  get sendsWill(): boolean {
    return this.willOnClose
  }

  /** A CONNECT arrived: from now on packets are read and written at its protocol level. */
  connectReceived(version: 3 | 4 | 5, clientMaxPacketSize: number): void {
    this.version = version
    this.clientMaxPacketSize = clientMaxPacketSize // a refusing CONNACK must fit it too [MQTT-3.2.2-19]
    this.state = 'connecting'
  }

  /** The CONNECT is accepted, on these terms. */
  applyConnect(settings: NegotiatedSettings): void {
    this.id = settings.clientId
    this.user = settings.username
    this.window = settings.sendWindow
    this.clientMaxPacketSize = settings.clientMaxPacketSize
    if (settings.outboundAliasLimit > 0) this.aliases = new TopicAliases(settings.outboundAliasLimit)
    this.wantsProblemInformation = settings.wantsProblemInformation
  }

  /**
   * CONNACK is out: the connection serves `session` from now on. Silence for 1.5 × keepalive closes it
   * [MQTT-3.1.2-22] (3.1.1: [MQTT-3.1.2-24]); 0 means no keepalive.
   */
  markConnected(session: Session, keepaliveSeconds: number): void {
    this.boundSession = session
    this.state = 'connected'
    clearTimeout(this.timer)
    this.timer = undefined
    this.keepaliveMs = keepaliveSeconds * 1500
    if (this.keepaliveMs > 0) this.timer = setTimeout(onKeepaliveCheck, this.keepaliveMs, this)
  }

  /** The client sent DISCONNECT: the connection closes, with its will only if the client asked for it. */
  closeOnDisconnect(sendWill: boolean): void {
    this.willOnClose = sendWill
    this.close()
  }

  /** Takes one PUBLISH from the client's budget of `perSecond`; false when it is spent. */
  withinPublishRate(perSecond: number): boolean {
    this.publishRate ??= new PublishRate(perSecond)
    return this.publishRate.take()
  }

  /** Remembers an inbound 5.0 Topic Alias (spec 3.3.2.3.4). */
  learnTopicAlias(alias: number, topic: string): void {
    this.aliases ??= new TopicAliases(0)
    this.aliases.learn(alias, topic)
  }

  /** The topic an inbound Topic Alias stands for, if the client set it. */
  topicOfAlias(alias: number): string | undefined {
    return this.aliases?.topicOf(alias)
  }

  /** Inbound QoS 1 PUBLISHes not yet acknowledged, for our Receive Maximum (QoS 2 ones are the session's inbound ids). */
  get unacknowledgedInbound(): number {
    return this.pendingAcks?.pubacks ?? 0
  }

  /** Settles when the oldest acknowledgement still waiting for the store has gone out. */
  whenAckReleased(): Promise<void> {
    return this.pendingAcks?.whenOldestReleased() ?? Promise.resolve()
  }

  /** Sends a reply that confirms stored state: at once, or after the commit that holds it when the store is durable. */
  replyWhenStored(cmd: DurableReply, packetId: number): void {
    const store = this.host.store
    if (!store.durable) {
      this.sendAck(cmd, packetId)
      return
    }
    this.pendingAcks ??= new PendingAcks(this, this.host.logger)
    this.pendingAcks.add(cmd, packetId, this.host.durable())
  }

  /** A successful acknowledgement, without going through the generic encoder. */
  sendAck(cmd: DurableReply, packetId: number): void {
    if (this.isOpen) this.write(encodeAck(cmd, packetId))
  }

  send(packet: Packet): void {
    if (!this.isOpen) return
    this.write(encodeWithinPacketSize(packet, this.version, this.clientMaxPacketSize))
  }

  /** PUBREL goes out once the store has our copy marked as received (see PendingAcks). */
  sendPubrel(packetId: number): void {
    this.replyWhenStored('pubrel', packetId)
  }

  encodePublish(delivery: Delivery): EncodedPublish | undefined {
    let perSubscriber: PerSubscriber | undefined
    if (this.version === 5) {
      if (delivery.subscriptionIds !== undefined) {
        perSubscriber = { subscriptionIds: delivery.subscriptionIds, topicAlias: undefined, sendTopic: true }
      }
      if (this.aliases !== undefined) perSubscriber = this.aliases.outboundFor(delivery.message.topic, perSubscriber)
    }
    // The clock matters only for a message that can expire (the remaining interval goes out with it).
    const now = delivery.message.expiresAt === 0 ? 0 : Date.now()
    const encoded = encodedPublish(delivery.message, this.version, delivery.qos, delivery.retain, now, perSubscriber)
    if (encoded.bytes.length > this.clientMaxPacketSize) {
      this.host.stats.messagesDropped++ // [MQTT-3.1.2-24]: never send the client more than it accepts
      return undefined
    }
    return encoded
  }

  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void {
    if (!this.isOpen) return
    this.host.stats.messagesSent++
    const bytes = encoded.bytes
    if (encoded.idOffset < 0) {
      this.write(bytes)
      return
    }
    const idEnd = encoded.idOffset + 2
    const head = Buffer.allocUnsafe(bytes.length <= PATCH_IN_COPY_LIMIT ? bytes.length : idEnd)
    bytes.copy(head, 0, 0, head.length)
    head.writeUInt16BE(packetId, encoded.idOffset)
    if (dup) head[0] |= 0x08
    this.write(head)
    if (head.length < bytes.length) this.write(bytes.subarray(idEnd))
  }

  /** Whether a QoS 0 delivery would only pile up in a socket the client is not reading. */
  get isCongested(): boolean {
    return this.socket.writableLength > this.host.options.maxQueuedBytes
  }

  /**
   * Ends the connection because of `reasonCode`: a connected 5.0 client first gets DISCONNECT with it;
   * a 3.x client, or one not connected yet, is just closed.
   */
  disconnect(reasonCode: number, reason: string): void {
    if (!this.isOpen) return
    if (this.version === 5 && this.state === 'connected') {
      // A reason string unless the client asked for none (5.0 Request Problem Information)
      this.send({ cmd: 'disconnect', reasonCode, properties: { reasonString: this.wantsProblemInformation ? reason : undefined } })
    }
    this.close()
  }

  /** Ends the connection for what the client sent: logged (rate-limited), then as `disconnect`. */
  rejectProtocol(reasonCode: number, problem: string): void {
    if (!this.isOpen) return
    const { remoteAddress: address, clientId, protocolVersion } = this
    this.host.protocolErrors.report({ address, clientId, protocolVersion, reasonCode, problem })
    this.disconnect(reasonCode, problem)
  }

  /** Flushes what is written and closes the socket. */
  close(): void {
    if (this.state === 'closed') return
    this.uncork()
    this.socket.end()
    this.socket.destroySoon()
    setTimeout(destroySocket, 1000, this.socket).unref()
    this.finish()
  }

  private write(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(uncorkConnection, this)
    }
    this.host.stats.bytesSent += bytes.length
    if (!this.socket.write(bytes) && this.drainTimer === undefined) {
      this.drainTimer = setTimeout(onDrainTimeout, this.host.options.drainTimeout * 1000, this)
      this.socket.once('drain', onSocketDrain)
    }
  }

  uncork(): void {
    if (!this.corked) return
    this.corked = false
    this.socket.uncork()
  }

  receive(chunk: Buffer): void {
    this.host.stats.bytesReceived += chunk.length
    this.lastPacketAt = Date.now()
    this.framer.feed(chunk)
    this.processPackets()
  }

  /** Handles whole packets in order; a handler that waits (on the store) holds the rest until it is done. */
  private processPackets(): void {
    while (!this.paused && this.state !== 'closed') {
      let bytes: Buffer | undefined
      try {
        bytes = this.framer.next()
      } catch (error) {
        const reason = error instanceof ProtocolError ? error.reasonCode : Reason.MalformedPacket
        this.rejectProtocol(reason, (error as Error).message)
        return
      }
      if (bytes === undefined) return
      const pending = this.host.packets.dispatch(this, bytes)
      if (pending !== undefined) {
        this.paused = true
        this.socket.pause()
        const resume = (): void => this.resumeAfterHandler()
        pending.then(resume, resume)
        return
      }
    }
  }

  private resumeAfterHandler(): void {
    this.paused = false
    if (this.state === 'closed') return
    this.socket.resume()
    this.processPackets()
  }

  connectTimedOut(): void {
    this.timer = undefined
    if (this.state === 'awaiting-connect') this.close()
  }

  checkKeepalive(): void {
    const silentFor = Date.now() - this.lastPacketAt
    if (silentFor >= this.keepaliveMs) {
      this.timer = undefined
      this.disconnect(Reason.KeepAliveTimeout, 'keepalive timeout')
      return
    }
    this.timer = setTimeout(onKeepaliveCheck, this.keepaliveMs - silentFor, this)
  }

  drained(): void {
    clearTimeout(this.drainTimer)
    this.drainTimer = undefined
  }

  drainTimedOut(): void {
    this.drainTimer = undefined
    this.host.logger.warn({ clientId: this.clientId }, 'client stopped reading; closing')
    this.socket.destroy()
  }

  /** Runs once, however the connection ends. */
  finish(): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    this.state = 'closed'
    clearTimeout(this.timer)
    clearTimeout(this.drainTimer)
    this.host.connectionClosed(this, wasConnected)
  }
}
