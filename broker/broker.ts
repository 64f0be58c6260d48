import type { AddressInfo, Server } from 'node:net'
import type { IPublishPacket, QoS } from 'mqtt-packet'
import { type Logger, pino } from 'pino'
import { type AuthHooks, allowAll } from './auth/hooks.js'
import { Connection } from './connection.js'
import { ConnectionRate } from './limits/connection-rate.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { ListenerSpec } from './listeners/listener-spec.js'
import { listenTcp } from './listeners/tcp.js'
import { listenTls } from './listeners/tls.js'
import { listenWs } from './listeners/ws.js'
import { type Delivery, isExpired, type Message, type MessageProperties, ownPayload } from './message.js'
import { type BrokerOptions, resolveBrokerOptions } from './options.js'
import { Reason } from './protocol/reason-codes.js'
import { seedFromWire } from './publish-encoding.js'
import { RetainedMessages } from './retained/retained.js'
import { Router, type SessionMatch } from './router/router.js'
import type { Subscription } from './router/subscription.js'
import { Session, type SessionContext } from './session/session.js'
import type { Will } from './session/will.js'
import { BrokerStats } from './stats.js'
import { MemoryStore } from './store/memory.js'
import type { Store, StoredSession } from './store/store.js'
import { SysTopics } from './sys/sys-topics.js'
import { parseFilter } from './topics.js'

export interface BrokerDependencies {
  store?: Store
  auth?: AuthHooks
  logger?: Logger
}

/**
 * The broker: owns the listeners, the live connections, the sessions, the subscription router and
 * the retained messages, and routes every message between them. Packet handling lives in
 * handlers/, bytes in connection.ts, state that outlives the process in the store.
 */
export class Broker implements SessionContext {
  readonly options: Readonly<BrokerOptions>
  readonly stats = new BrokerStats()
  readonly store: Store
  readonly auth: AuthHooks
  readonly logger: Logger
  readonly router = new Router()
  readonly retained = new RetainedMessages()
  private readonly sessions = new Map<string, Session>()
  private readonly connections = new Set<Connection>()
  private readonly servers: Server[] = []
  /** Kept for `reloadCertificates` (SIGHUP). */
  private readonly tlsListeners: Array<{ reload(): Promise<void> }> = []
  private readonly sys = new SysTopics(this)
  private readonly connectionRate: ConnectionRate
  private lastMessageId = 0
  private opened = false
  private closing = false

  constructor(options: Partial<BrokerOptions> = {}, dependencies: BrokerDependencies = {}) {
    this.options = resolveBrokerOptions(options)
    this.connectionRate = new ConnectionRate(this.options.maxConnectionRate, this.options.rateLimitLoopback)
    this.store = dependencies.store ?? new MemoryStore()
    this.auth = dependencies.auth ?? allowAll
    this.logger = dependencies.logger ?? pino({ level: 'silent' })
  }

  get sessionCount(): number {
    return this.sessions.size
  }

  /**
   * Restores state from the store (once), then accepts MQTT on the listener: over TCP (`protocol`
   * 'mqtt', the default), TLS ('mqtts') or WebSocket ('ws', 'wss'). Call it once per listener.
   */
  async listen(listener: ListenerSpec): Promise<AddressInfo> {
    if (!this.opened) {
      this.opened = true
      await this.restore()
      this.sys.start(this.options.sysInterval)
    }
    const anonymousAllowed = listener.allowAnonymous ?? true
    if (listener.protocol === 'mqtts') {
      const tls = await listenTls(listener, listener.tls, (socket) => this.accept(socket, anonymousAllowed))
      this.servers.push(tls.server)
      this.tlsListeners.push(tls)
      return tls.address
    }
    if (listener.protocol === 'ws' || listener.protocol === 'wss') {
      const tls = listener.protocol === 'wss' ? listener.tls : undefined
      const ws = await listenWs(listener, { path: listener.path ?? '/mqtt', tls, maxPayload: this.options.maxPacketSize }, (socket) =>
        this.accept(socket, anonymousAllowed)
      )
      this.servers.push(ws.server)
      if (tls !== undefined) this.tlsListeners.push(ws)
      return ws.address
    }
    const { server, address: bound } = await listenTcp(listener, (socket) => this.accept(socket, anonymousAllowed))
    this.servers.push(server)
    return bound
  }

  /**
   * Re-reads every TLS listener's certificate, key, CA and CRL files (SIGHUP): new connections use them,
   * open ones stay as they are. A listener whose files are bad keeps its old ones; the first error is thrown.
   */
  async reloadCertificates(): Promise<void> {
    const results = await Promise.allSettled(this.tlsListeners.map((listener) => listener.reload()))
    const failed = results.find((result) => result.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  }

  /** Stops listening, tells 5.0 clients the server is shutting down, closes every connection and the store. */
  async close(): Promise<void> {
    if (this.closing) return
    this.closing = true
    this.sys.stop()
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))
    for (const connection of [...this.connections]) connection.disconnect(Reason.ServerShuttingDown, 'server shutting down')
    await Promise.all(closed)
    await this.store.flush()
    await this.store.close()
  }

  accept(socket: ClientSocket, anonymousAllowed: boolean): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const connection = new Connection(socket, this, anonymousAllowed)
    // Over the per-address rate, the client still gets its CONNACK with the reason (see handlers/connect.ts).
    connection.overConnectionRate = !this.connectionRate.admit(socket.remoteAddress)
    this.connections.add(connection)
  }

  /**
   * Binds a connection to its session: takes over an existing connection with the same client id
   * [MQTT-3.1.4-3], resumes the session or starts a new one. Returns Session Present.
   */
  openSession(connection: Connection, cleanStart: boolean, expiry: number, will: Will | undefined): boolean {
    const clientId = connection.clientId
    let session = this.sessions.get(clientId)
    const previous = session?.link
    if (previous instanceof Connection) previous.disconnect(Reason.SessionTakenOver, 'another connection took over the session')
    session = this.sessions.get(clientId) // the takeover may have ended it
    let present = false
    if (session !== undefined && cleanStart) {
      this.removeSession(session)
      session = undefined
    }
    if (session === undefined) {
      session = new Session(clientId, connection.protocolVersion, this)
      this.sessions.set(clientId, session)
    } else {
      present = true
    }
    session.setExpiry(expiry)
    session.username = connection.username
    session.attach(connection, will)
    connection.session = session
    return present
  }

  /** Called once per connection when it ends, however it ends. */
  connectionClosed(connection: Connection, wasConnected: boolean): void {
    this.connections.delete(connection)
    if (wasConnected) this.stats.clientsConnected--
    const session = connection.session
    if (session === undefined || session.link !== connection) return
    const sendWill = connection.sendWillOnClose && !this.closing
    if (session.detach(sendWill)) this.removeSession(session)
  }

  expire(session: Session): void {
    if (this.sessions.get(session.clientId) === session && !session.isConnected) this.removeSession(session)
  }

  createMessage(packet: IPublishPacket, topic: string, origin: string, wire: Buffer | undefined, version: 3 | 4 | 5): Message {
    const now = Date.now()
    const expiry = packet.properties?.messageExpiryInterval
    const message: Message = {
      id: ++this.lastMessageId,
      topic,
      payload: packet.payload as Buffer,
      qos: packet.qos,
      retain: packet.retain,
      properties: forwardedProperties(packet.properties),
      expiresAt: expiry !== undefined && expiry > 0 ? now + expiry * 1000 : 0,
      receivedAt: now,
      origin,
      forms: undefined
    }
    if (wire !== undefined) seedFromWire(message, version, wire)
    return message
  }

  /** Stores a retained message (or clears it) and routes the message to every matching subscription. */
  publish(message: Message): void {
    if (message.retain) {
      if (message.payload.length === 0) {
        if (this.retained.delete(message.topic)) this.store.deleteRetained(message.topic)
      } else {
        ownPayload(message)
        this.retained.set(message)
        this.store.saveRetained(message)
      }
    }
    this.route(message)
  }

  /** A message from the broker itself ($SYS), retained, QoS 0. */
  publishSystem(topic: string, payload: string): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: true, dup: false }
    this.publish(this.createMessage(packet, topic, '', undefined, 4))
  }

  publishWill(session: Session, will: Will): void {
    const identity = { clientId: session.clientId, username: session.username, remoteAddress: undefined }
    if (!this.auth.authorizePublish(identity, will.topic, will.qos ?? 0, will.retain ?? false)) {
      this.stats.messagesDropped++
      return
    }
    const { willDelayInterval: _delay, ...properties } = will.properties ?? {}
    const packet: IPublishPacket = {
      cmd: 'publish',
      topic: will.topic,
      payload: Buffer.isBuffer(will.payload) ? will.payload : Buffer.from(will.payload),
      qos: will.qos ?? 0,
      retain: will.retain ?? false,
      dup: false,
      properties
    }
    this.publish(this.createMessage(packet, will.topic, session.clientId, undefined, 5))
  }

  /** Adds or replaces a subscription; returns true when the session had none to this filter. */
  subscribe(subscription: Subscription): boolean {
    const session = subscription.session
    const previous = session.subscriptions.get(subscription.fullFilter)
    if (previous !== undefined) this.router.unsubscribe(previous)
    session.subscriptions.set(subscription.fullFilter, subscription)
    this.router.subscribe(subscription)
    if (session.isPersistent) {
      this.store.saveSubscription(session.clientId, {
        fullFilter: subscription.fullFilter,
        qos: subscription.qos,
        noLocal: subscription.noLocal,
        retainAsPublished: subscription.retainAsPublished,
        retainHandling: subscription.retainHandling,
        subscriptionId: subscription.subscriptionId
      })
    }
    return previous === undefined
  }

  unsubscribe(session: Session, fullFilter: string): boolean {
    const subscription = session.subscriptions.get(fullFilter)
    if (subscription === undefined) return false
    session.subscriptions.delete(fullFilter)
    this.router.unsubscribe(subscription)
    if (session.isPersistent) this.store.deleteSubscription(session.clientId, fullFilter)
    return true
  }

  private route(message: Message): void {
    const { sessions, groups } = this.router.match(message.topic)
    for (let i = 0; i < sessions.length; i++) {
      const match = sessions[i]
      const delivery = match.subscriptions.length === 1 ? deliveryFor(message, match.subscriptions[0]) : mergedDelivery(message, match)
      if (delivery !== undefined) match.session.deliver(delivery)
    }
    for (let i = 0; i < groups.length; i++) {
      const member = groups[i].pick(message.origin)
      if (member !== undefined) member.session.deliver(deliveryFor(message, member)!)
    }
  }

  private removeSession(session: Session): void {
    for (const subscription of session.subscriptions.values()) this.router.unsubscribe(subscription)
    session.subscriptions.clear()
    if (this.sessions.get(session.clientId) === session) this.sessions.delete(session.clientId)
    session.end()
  }

  /** Brings back what the store kept: retained messages, and sessions waiting offline for their expiry. */
  private async restore(): Promise<void> {
    const snapshot = await this.store.open()
    this.lastMessageId = snapshot.lastMessageId
    const now = Date.now()
    for (const message of snapshot.retained) {
      if (isExpired(message, now)) this.store.deleteRetained(message.topic)
      else this.retained.set(message)
    }
    for (const stored of snapshot.sessions) this.restoreSession(stored, now)
  }

  private restoreSession(stored: StoredSession, now: number): void {
    const { record } = stored
    const session = new Session(record.clientId, record.protocolVersion, this)
    this.sessions.set(record.clientId, session)
    session.setExpiry(record.expiryInterval)
    for (const saved of stored.subscriptions) {
      const parsed = parseFilter(saved.fullFilter, Infinity, Infinity)
      if (typeof parsed === 'string') continue
      const subscription: Subscription = {
        ...saved,
        session,
        filter: parsed.filter,
        group: parsed.group,
        subscriptionIds: saved.subscriptionId === undefined ? undefined : [saved.subscriptionId]
      }
      session.subscriptions.set(saved.fullFilter, subscription)
      this.router.subscribe(subscription)
    }
    for (const record of stored.inflight) session.inflight.set(record)
    for (const packetId of stored.incomingQos2) session.incomingQos2.add(packetId)
    const offlineSince = record.disconnectedAt ?? now
    session.waitOffline((now - offlineSince) / 1000)
  }
}

function deliveryFor(message: Message, subscription: Subscription): Delivery | undefined {
  if (subscription.noLocal && subscription.session.clientId === message.origin) return undefined // [MQTT-3.8.3-3]
  return {
    message,
    qos: message.qos < subscription.qos ? message.qos : subscription.qos,
    retain: subscription.retainAsPublished && message.retain, // [MQTT-3.3.1-12, MQTT-3.3.1-13]
    subscriptionIds: subscription.subscriptionIds
  }
}

/** Overlapping subscriptions of one session: one copy, at the highest QoS, with every Subscription Identifier [MQTT-3.3.4-2, MQTT-3.3.4-3]. */
function mergedDelivery(message: Message, match: SessionMatch): Delivery | undefined {
  let qos = -1
  let retain = false
  let subscriptionIds: number[] | undefined
  for (const subscription of match.subscriptions) {
    if (subscription.noLocal && subscription.session.clientId === message.origin) continue
    if (subscription.qos > qos) qos = subscription.qos
    retain ||= subscription.retainAsPublished && message.retain
    if (subscription.subscriptionId !== undefined) (subscriptionIds ??= []).push(subscription.subscriptionId)
  }
  if (qos < 0) return undefined
  return { message, qos: Math.min(qos, message.qos) as QoS, retain, subscriptionIds }
}

/** The properties forwarded to subscribers: everything but the per-hop Topic Alias and Subscription Identifier. */
function forwardedProperties(properties: IPublishPacket['properties']): MessageProperties | undefined {
  if (properties === undefined) return undefined
  const { topicAlias: _alias, subscriptionIdentifier: _ids, ...forwarded } = properties
  for (const key in forwarded) if ((forwarded as Record<string, unknown>)[key] !== undefined) return forwarded
  return undefined
}
