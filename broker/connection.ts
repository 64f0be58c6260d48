import type { Packet } from 'mqtt-packet'
import type { ClientIdentity } from './auth/hooks.js'
import { type CallbackTarget, destroySocket, listenOnSocket } from './connection-callbacks.js'
import { type DeadlineTarget, DeadlineWheel, NO_DEADLINE } from './deadline-wheel.js'
import { PublishRate } from './limits/publish-rate.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { ListenerInfo } from './listeners/listener-spec.js'
import type { Delivery, EncodedPublish } from './message.js'
import type { NegotiatedSettings } from './negotiated-settings.js'
import type { BrokerOptions } from './options.js'
import { PacketIntake } from './packet-intake.js'
import { type DurableReply, PendingAcks } from './pending-acks.js'
import { encodeAck } from './protocol/codec.js'
import { ProtocolError } from './protocol/protocol-error.js'
import type { ProtocolErrorLog } from './protocol/protocol-error-log.js'
import { Reason } from './protocol/reason-codes.js'
import { TopicAliases } from './protocol/topic-aliases.js'
import { encodeWithinPacketSize } from './protocol/within-packet-size.js'
import { encodedDelivery, patchedHead } from './publish-encoding.js'
import type { Session } from './session/session.js'
import type { SessionLink } from './session/session-link.js'
import { SocketWriter, type WriterHost } from './socket-writer.js'
import { DropReason } from './stats.js'
import type { Store } from './store/store.js'

type ConnectionState = 'awaiting-connect' | 'connecting' | 'connected' | 'closed'

/** The largest packet MQTT can frame (a 4-byte remaining length): "no limit" as a small integer, not a boxed Infinity. */
const LARGEST_PACKET = 268_435_460

/**
 * Connect timeouts and keepalive checks of every connection in the process, on one timer. A quarter second
 * late at most is well within what keepalive promises (1.5 × the keepalive, in whole seconds).
 */
const deadlines = new DeadlineWheel(250)

/** What every connection needs from the broker around it (the Broker is one). */
export interface ConnectionHost extends WriterHost {
  readonly options: Readonly<BrokerOptions>
  /** Acknowledgements that confirm stored state wait for its durability barrier. */
  readonly store: Pick<Store, 'durable'>
  durable(): Promise<void>
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
 * through its SocketWriter (batched per tick), keepalive, and the per-connection state that CONNECT
 * settles (the protocol level, the client's limits, 5.0 topic aliases). It knows nothing of topics or routing.
 * Handlers change it only through its methods: `connectReceived`, `applyConnect`, `markConnected`.
 */
export class Connection extends SocketWriter implements SessionLink, ClientIdentity, CallbackTarget, DeadlineTarget {
  declare protected readonly host: ConnectionHost
  private state: ConnectionState = 'awaiting-connect'
  private version: 3 | 4 | 5 = 4
  private id = ''
  private user: string | undefined
  private boundSession: Session | undefined
  /** How the connection ends for its will: false once a normal DISCONNECT arrived. */
  private willOnClose = true
  private window: number
  private clientMaxPacketSize = LARGEST_PACKET
  private wantsProblemInformation = true
  /** 5.0 topic aliases, made once one is in play. */
  private aliases: TopicAliases | undefined
  /** The client's PUBLISH budget, when a rate is configured (made on first PUBLISH). */
  private publishRate: PublishRate | undefined
  /** Acknowledgements waiting for a durable store (made on first use). */
  private pendingAcks: PendingAcks | undefined
  /** What was read and not yet handled; none between packets, so an idle connection holds nothing of it. */
  private intake: PacketIntake | undefined
  private paused = false
  private lastPacketAt = Date.now()
  private keepaliveMs = 0
  /** When CONNACK went out (ms since the epoch); 0 before. Set by markConnected only. */
  connectedSince = 0
  /** Who ended a connected client's connection on purpose, for the disconnection counters; undefined: it was lost. */
  private endedBy: 'client' | 'server' | undefined
  deadlineSlot = NO_DEADLINE

  /**
   * @param listener the listener it came in on.
   * @param overConnectionRate the connection came from an address over its connection rate: CONNECT will be refused.
   */
  constructor(
    socket: ClientSocket,
    host: ConnectionHost,
    readonly listener: ListenerInfo,
    readonly overConnectionRate: boolean
  ) {
    super(socket, host)
    this.window = host.options.maxInflight
    socket.setNoDelay(true)
    listenOnSocket(socket, this)
    deadlines.schedule(this, this.lastPacketAt + host.options.connectTimeout * 1000)
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress
  }

  get anonymousAllowed(): boolean {
    return this.listener.anonymousAllowed
  }

  /** The keepalive in force, in seconds (0: none). */
  get keepalive(): number {
    return this.keepaliveMs / 1500
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
    this.clientMaxPacketSize = Math.min(clientMaxPacketSize, LARGEST_PACKET) // a refusing CONNACK must fit it too [MQTT-3.2.2-19]
    this.state = 'connecting'
  }

  /** The CONNECT is accepted, on these terms. */
  applyConnect(settings: NegotiatedSettings): void {
    this.id = settings.clientId
    this.user = settings.username
    this.window = settings.sendWindow
    this.clientMaxPacketSize = Math.min(settings.clientMaxPacketSize, LARGEST_PACKET)
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
    this.connectedSince = Date.now()
    this.keepaliveMs = keepaliveSeconds * 1500
    if (this.keepaliveMs > 0) deadlines.schedule(this, this.lastPacketAt + this.keepaliveMs)
    else deadlines.cancel(this)
  }

  /** The client sent DISCONNECT: the connection closes, with its will only if the client asked for it. */
  closeOnDisconnect(sendWill: boolean): void {
    this.willOnClose = sendWill
    if (this.state === 'connected' && this.endedBy === undefined) {
      this.endedBy = 'client'
      this.host.stats.clientDisconnects++
    }
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
    if (this.host.store.durable) {
      this.pendingAcks ??= new PendingAcks(this, this.host.logger)
      this.pendingAcks.add(cmd, packetId, this.host.durable())
    } else this.sendAcks(encodeAck(cmd, packetId), 1)
  }

  /** `count` successful acknowledgements, encoded one after another in `acks` (not by the generic encoder). */
  sendAcks(acks: Buffer, count: number): void {
    if (!this.isOpen) return
    this.host.stats.packetsSent += count
    this.write(acks)
  }

  send(packet: Packet): void {
    if (!this.isOpen) return
    this.host.stats.packetsSent++
    this.write(encodeWithinPacketSize(packet, this.version, this.clientMaxPacketSize))
  }

  /** PUBREL goes out once the store has our copy marked as received (see PendingAcks). */
  sendPubrel(packetId: number): void {
    this.replyWhenStored('pubrel', packetId)
  }

  encodePublish(delivery: Delivery): EncodedPublish | undefined {
    const encoded = encodedDelivery(delivery, this.version, this.aliases)
    if (encoded.bytes.length > this.clientMaxPacketSize) {
      this.host.stats.dropped[DropReason.TooLarge]++ // [MQTT-3.1.2-24]: never send the client more than it accepts
      return undefined
    }
    return encoded
  }

  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void {
    if (!this.isOpen) return
    const bytes = encoded.bytes
    const stats = this.host.stats
    const qos = (bytes[0] >> 1) & 3 // the QoS bits of the fixed header
    stats.packetsSent++
    stats.sent[qos]++
    stats.sentPublishBytes[qos] += bytes.length
    if (encoded.idOffset < 0) {
      this.write(bytes)
      return
    }
    const head = patchedHead(encoded, packetId, dup)
    this.write(head)
    if (head.length < bytes.length) this.write(bytes.subarray(head.length))
  }

  /**
   * Ends the connection because of `reasonCode`: a connected 5.0 client first gets DISCONNECT with it;
   * a 3.x client, or one not connected yet, is just closed.
   */
  disconnect(reasonCode: number, reason: string): void {
    if (!this.isOpen) return
    if (this.state === 'connected' && this.endedBy === undefined) {
      this.endedBy = 'server'
      this.host.stats.serverDisconnects[reasonCode]++
    }
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
    this.flush()
    this.socket.end()
    this.socket.destroySoon()
    setTimeout(destroySocket, 1000, this.socket).unref()
    this.finish()
  }

  receive(chunk: Buffer): void {
    this.host.stats.bytesReceived += chunk.length
    this.lastPacketAt = Date.now()
    this.intake ??= new PacketIntake(this.host.options.maxPacketSize)
    this.intake.feed(chunk)
    if (this.paused) this.readWhileHeld()
    else this.processPackets()
  }

  /**
   * Handles whole packets in order; a handler that waits (on the store, or for a subscriber to drain) holds the rest
   * until it is done: they are read ahead meanwhile (see readWhileHeld).
   */
  private processPackets(): void {
    while (!this.paused && this.state !== 'closed') {
      const bytes = this.read((intake) => intake.next())
      if (bytes === undefined) return
      const pending = this.host.packets.dispatch(this, bytes)
      if (pending !== undefined) {
        this.paused = true
        const resume = (): void => this.resumeAfterHandler()
        pending.then(resume, resume)
        this.readWhileHeld()
        return
      }
    }
  }

  /** Reads from the intake (given up once empty); a bad fixed header closes the connection. */
  private read<T>(step: (intake: PacketIntake) => T): T | undefined {
    const intake = this.intake
    if (intake === undefined) return undefined
    try {
      return step(intake)
    } catch (error) {
      const reason = error instanceof ProtocolError ? error.reasonCode : Reason.MalformedPacket
      this.rejectProtocol(reason, (error as Error).message)
      return undefined
    } finally {
      if (intake.isEmpty && this.intake === intake) this.intake = undefined
    }
  }

  /**
   * While a handler holds a connected client, what it sends is read ahead, up to a bound (read-ahead.ts), and its
   * PINGREQs are answered at once: a publisher held for a slow subscriber would otherwise take its unanswered
   * PINGREQs for a dead broker and disconnect. Before CONNACK nothing is read ahead.
   */
  private readWhileHeld(): void {
    if (this.state === 'connected') this.read((intake) => intake.readWhileHeld((ping) => this.host.packets.dispatch(this, ping)))
    if (this.state !== 'connected' || this.intake?.isFull === true) this.socket.pause()
  }

  private resumeAfterHandler(): void {
    this.paused = false
    if (this.state === 'closed') return
    this.socket.resume()
    this.processPackets()
  }

  /** The connect timeout before CONNECT, the keepalive check once connected. */
  deadlineReached(now: number): void {
    if (this.state === 'awaiting-connect') {
      this.close()
      return
    }
    if (this.state !== 'connected' || this.keepaliveMs === 0) return
    if (this.paused) this.lastPacketAt = now // its packets wait unread on our side: the client is not silent
    if (now - this.lastPacketAt >= this.keepaliveMs) {
      this.disconnect(Reason.KeepAliveTimeout, 'keepalive timeout')
      return
    }
    deadlines.schedule(this, this.lastPacketAt + this.keepaliveMs)
  }

  /** Runs once, however the connection ends. */
  finish(): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    if (wasConnected && this.endedBy === undefined) this.host.stats.connectionsLost++
    this.state = 'closed'
    this.intake = undefined
    deadlines.cancel(this)
    this.stopWriting()
    this.host.connectionClosed(this, wasConnected)
  }
}
