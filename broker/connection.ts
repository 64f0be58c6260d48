import type { Packet } from 'mqtt-packet'
import type { ClientIdentity } from './auth/hooks.js'
import type { Broker } from './broker.js'
import { dispatchPacket } from './handlers/index.js'
import type { PublishRate } from './limits/publish-rate.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { Delivery, EncodedPublish } from './message.js'
import { type DurableReply, PendingAcks } from './pending-acks.js'
import { encodeAck, encodePacket } from './protocol/codec.js'
import { PacketFramer } from './protocol/framer.js'
import { ProtocolError } from './protocol/protocol-error.js'
import { Reason } from './protocol/reason-codes.js'
import { encodedPublish, type PerSubscriber } from './publish-encoding.js'
import type { Session, SessionLink } from './session/session.js'

/** Copies of QoS 1/2 PUBLISHes up to this size are patched in one buffer; larger ones are written as head + shared tail. */
const PATCH_IN_COPY_LIMIT = 1024

type ConnectionState = 'awaiting-connect' | 'connecting' | 'connected' | 'closed'

/**
 * One client's network connection: bytes in through the framer to the packet handlers, packets out
 * with writes batched per tick (cork / uncork), keepalive, and the per-connection 5.0 state
 * (topic aliases, the client's limits). It knows nothing of topics or routing.
 */
export class Connection implements SessionLink, ClientIdentity {
  state: ConnectionState = 'awaiting-connect'
  protocolVersion: 3 | 4 | 5 = 4
  clientId = ''
  username: string | undefined
  session: Session | undefined
  /** How the connection ends for its will: false once a normal DISCONNECT arrived. */
  sendWillOnClose = true
  /** Most QoS 1/2 in flight towards the client: ours, lowered by the client's Receive Maximum. */
  sendWindow: number
  /** Largest packet the client accepts (5.0 Maximum Packet Size). */
  clientMaxPacketSize = Infinity
  /** 5.0 Request Problem Information: reason strings only when the client wants them. */
  wantsProblemInformation = true
  /** Inbound 5.0 topic aliases: alias → topic; made on first use, as most clients never alias. */
  inboundAliases: Map<number, string> | undefined
  /** Outbound topic aliases the client allows (its Topic Alias Maximum), and those in use. */
  outboundAliasLimit = 0
  private outboundAliases: Map<string, number> | undefined
  /** This connection came from an address over its connection rate: CONNECT will be refused. */
  overConnectionRate = false
  /** The client's PUBLISH budget, when a rate is configured (made on first PUBLISH). */
  publishRate: PublishRate | undefined
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
   */
  constructor(
    readonly socket: ClientSocket,
    readonly broker: Broker,
    readonly anonymousAllowed: boolean
  ) {
    this.sendWindow = broker.options.maxInflight
    this.framer = new PacketFramer(broker.options.maxPacketSize)
    socket.setNoDelay(true)
    // Listeners are shared functions that find their connection on the socket: closures per
    // connection would cost about half a kilobyte of every idle connection.
    ;(socket as OwnedSocket)[CONNECTION] = this
    socket.on('data', onSocketData)
    socket.on('error', onSocketError)
    socket.on('close', onSocketClose)
    this.timer = setTimeout(onConnectTimeout, broker.options.connectTimeout * 1000, this)
  }

  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress
  }

  get isOpen(): boolean {
    return this.state !== 'closed' && !this.socket.destroyed
  }

  /** Starts keepalive supervision: silence for 1.5 × keepalive closes the connection [MQTT-3.1.2-24]. */
  startKeepalive(seconds: number): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.keepaliveMs = seconds * 1500
    if (this.keepaliveMs > 0) this.timer = setTimeout(onKeepaliveCheck, this.keepaliveMs, this)
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
    const store = this.broker.store
    if (!store.durable) {
      this.sendAck(cmd, packetId)
      return
    }
    ;(this.pendingAcks ??= new PendingAcks(this)).add(cmd, packetId, store.flush())
  }

  /** A successful acknowledgement, without going through the generic encoder. */
  sendAck(cmd: DurableReply, packetId: number): void {
    if (this.isOpen) this.write(encodeAck(cmd, packetId))
  }

  /** A reason string, unless the client said it wants none (5.0 Request Problem Information). */
  reasonString(text: string): string | undefined {
    return this.wantsProblemInformation ? text : undefined
  }

  send(packet: Packet): void {
    if (!this.isOpen) return
    this.write(encodePacket(packet, this.protocolVersion))
  }

  /** PUBREL goes out once the store has our copy marked as received (see PendingAcks). */
  sendPubrel(packetId: number): void {
    this.replyWhenStored('pubrel', packetId)
  }

  encodePublish(delivery: Delivery): EncodedPublish | undefined {
    let perSubscriber: PerSubscriber | undefined
    if (this.protocolVersion === 5) {
      if (delivery.subscriptionIds !== undefined) {
        perSubscriber = { subscriptionIds: delivery.subscriptionIds, topicAlias: undefined, sendTopic: true }
      }
      if (this.outboundAliasLimit > 0) perSubscriber = this.withTopicAlias(delivery.message.topic, perSubscriber)
    }
    // The clock matters only for a message that can expire (the remaining interval goes out with it).
    const now = delivery.message.expiresAt === 0 ? 0 : Date.now()
    const encoded = encodedPublish(delivery.message, this.protocolVersion, delivery.qos, delivery.retain, now, perSubscriber)
    if (encoded.bytes.length > this.clientMaxPacketSize) {
      this.broker.stats.messagesDropped++ // [MQTT-3.1.2-24]: never send the client more than it accepts
      return undefined
    }
    return encoded
  }

  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void {
    if (!this.isOpen) return
    this.broker.stats.messagesSent++
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
    return this.socket.writableLength > this.broker.options.maxQueuedBytes
  }

  /**
   * Ends the connection because of `reasonCode`: a 5.0 client first gets DISCONNECT with it
   * (a CONNACK if it is not connected yet), a 3.x client is just closed.
   */
  disconnect(reasonCode: number, reason: string): void {
    if (!this.isOpen) return
    if (this.protocolVersion === 5 && this.state === 'connected') {
      this.send({ cmd: 'disconnect', reasonCode, properties: { reasonString: this.reasonString(reason) } })
    }
    this.close()
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
    this.broker.stats.bytesSent += bytes.length
    if (!this.socket.write(bytes) && this.drainTimer === undefined) {
      this.drainTimer = setTimeout(onDrainTimeout, this.broker.options.drainTimeout * 1000, this)
      this.socket.once('drain', onSocketDrain)
    }
  }

  uncork(): void {
    if (!this.corked) return
    this.corked = false
    this.socket.uncork()
  }

  private withTopicAlias(topic: string, perSubscriber: PerSubscriber | undefined): PerSubscriber | undefined {
    const aliases = (this.outboundAliases ??= new Map())
    const existing = aliases.get(topic)
    if (existing !== undefined) {
      return { subscriptionIds: perSubscriber?.subscriptionIds, topicAlias: existing, sendTopic: false }
    }
    if (aliases.size >= this.outboundAliasLimit) return perSubscriber
    const alias = aliases.size + 1
    aliases.set(topic, alias)
    return { subscriptionIds: perSubscriber?.subscriptionIds, topicAlias: alias, sendTopic: true }
  }

  receive(chunk: Buffer): void {
    this.broker.stats.bytesReceived += chunk.length
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
        this.disconnect(reason, (error as Error).message)
        return
      }
      if (bytes === undefined) return
      const pending = dispatchPacket(this, bytes)
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
    this.broker.logger.warn({ clientId: this.clientId }, 'client stopped reading; closing')
    this.socket.destroy()
  }

  /** Runs once, however the connection ends. */
  finish(): void {
    if (this.state === 'closed') return
    const wasConnected = this.state === 'connected'
    this.state = 'closed'
    clearTimeout(this.timer)
    clearTimeout(this.drainTimer)
    this.broker.connectionClosed(this, wasConnected)
  }
}

const CONNECTION = Symbol('connection')
type OwnedSocket = ClientSocket & { [CONNECTION]: Connection }

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[CONNECTION].receive(chunk)
}

function onSocketError(): void {
  // The close event follows and does the cleanup; a reset by the peer is not worth a log line.
}

function onSocketClose(this: OwnedSocket): void {
  this[CONNECTION].finish()
}

function onSocketDrain(this: OwnedSocket): void {
  this[CONNECTION].drained()
}

function onConnectTimeout(connection: Connection): void {
  connection.connectTimedOut()
}

function onKeepaliveCheck(connection: Connection): void {
  connection.checkKeepalive()
}

function onDrainTimeout(connection: Connection): void {
  connection.drainTimedOut()
}

function uncorkConnection(connection: Connection): void {
  connection.uncork()
}

function destroySocket(socket: ClientSocket): void {
  socket.destroy()
}
