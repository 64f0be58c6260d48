import type { AddressInfo, Server } from 'node:net'
import { type Logger, pino } from 'pino'
import { type AuthHooks, allowAll } from './auth/hooks.js'
import type { BridgeHost } from './bridge/bridge-host.js'
import type { BridgeSettings } from './bridge/bridge-settings.js'
import type { Bridges } from './bridge/bridges.js'
import type { ClusterNode } from './cluster/cluster-node.js'
import type { ClusterSeams } from './cluster/cluster-seams.js'
import { Connection, type ConnectionHost } from './connection.js'
import { PacketDispatcher } from './handlers/index.js'
import { ConnectionRate } from './limits/connection-rate.js'
import type { ClientSocket } from './listeners/client-socket.js'
import type { ListenerInfo, ListenerSpec } from './listeners/listener-spec.js'
import { listenTcp } from './listeners/tcp.js'
import { listenTls } from './listeners/tls.js'
import { listenWs } from './listeners/ws.js'
import { type BrokerOptions, resolveBrokerOptions } from './options.js'
import { ProtocolErrorLog } from './protocol/protocol-error-log.js'
import { Reason } from './protocol/reason-codes.js'
import { Publisher } from './publisher.js'
import { RetainedMessages } from './retained/retained.js'
import type { MessageRouter } from './router/message-router.js'
import { Router } from './router/router.js'
import { type LocalSessionParts, LocalSessionRegistry } from './session/local-session-registry.js'
import { PublishBackPressure } from './session/publish-back-pressure.js'
import type { SessionDirectory, SessionRegistry } from './session/session-registry.js'
import { SessionSubscriptions } from './session/session-subscriptions.js'
import { SparkplugAware } from './sparkplug/sparkplug-aware.js'
import { BrokerStats } from './stats.js'
import { MemoryStore } from './store/memory.js'
import type { Store } from './store/store.js'
import { type Backlog, SysTopics } from './sys/sys-topics.js'

export interface BrokerDependencies {
  store?: Store
  auth?: AuthHooks
  logger?: Logger
  /**
   * Makes the broker a node of a cluster sharing the Redis of `store` (which should then be the Redis store on it).
   * Built by the caller, so a broker that is no node never loads the Redis client.
   */
  cluster?: ClusterNode
  /**
   * Makes the session registry from the broker's parts and its cluster node (cluster/cluster-sessions.ts); a
   * LocalSessionRegistry without it.
   */
  sessions?: (parts: LocalSessionParts, cluster: ClusterSeams | undefined) => SessionRegistry
  /** Links to remote brokers (bridge/), started after the restore; `node` names this broker in their loop check. */
  bridges?: { settings: readonly BridgeSettings[]; node: string }
}

/**
 * The broker: owns the listeners and the live connections, and composes the parts that do the work —
 * packet handling (handlers/, over connection.ts), the publish pipeline (publisher.ts), routing (router/),
 * sessions and their subscriptions (session/), retained messages (retained/), $SYS (sys/) and the store
 * (store/), from which it restores them on the first `listen`.
 */
export class Broker implements ConnectionHost {
  readonly options: Readonly<BrokerOptions>
  readonly stats = new BrokerStats()
  readonly store: Store
  readonly auth: AuthHooks
  readonly logger: Logger
  readonly packets: PacketDispatcher
  readonly protocolErrors: ProtocolErrorLog
  private readonly router: Router
  /** Where published messages go: the router, or the cluster router over it. */
  private readonly messages: MessageRouter
  /** This broker's part in a cluster (membership, stream recovery), when it is a node of one. */
  readonly cluster: ClusterNode | undefined
  /** The last durability barrier handed out, kept so acknowledgements of one commit share one promise. */
  private barrier: { stored: Promise<void>; forwarded: Promise<void>; both: Promise<void> } | undefined
  readonly retained: RetainedMessages
  private readonly publisher: Publisher
  private readonly sessions: SessionRegistry
  private readonly connections = new Set<Connection>()
  private readonly servers: Server[] = []
  /** Kept for `reloadCertificates` (SIGHUP). */
  private readonly tlsListeners: Array<{ reload(): Promise<void> }> = []
  private readonly sys: SysTopics
  private readonly connectionRate: ConnectionRate
  private readonly bridgeSettings: BrokerDependencies['bridges']
  private readonly bridgeHost: BridgeHost
  private runningBridges: Bridges | undefined
  private opened = false
  private closing = false
  private abandoned = false

  constructor(options: Partial<BrokerOptions> = {}, dependencies: BrokerDependencies = {}) {
    this.options = resolveBrokerOptions(options)
    this.connectionRate = new ConnectionRate(this.options.maxConnectionRate, this.options.rateLimitLoopback)
    this.store = dependencies.store ?? new MemoryStore()
    this.auth = dependencies.auth ?? allowAll
    this.logger = dependencies.logger ?? pino({ level: 'silent' })
    this.cluster = dependencies.cluster
    this.router = new Router(this.cluster?.filters, this.auth.reads, this.stats)
    const { stats, store, router } = this
    this.retained = new RetainedMessages(store)
    const backPressure = new PublishBackPressure()
    this.messages = this.cluster?.routerOver(router, this.retained, store, backPressure) ?? router
    const sparkplug = this.options.sparkplug
      ? new SparkplugAware({ stampDeathTimestamp: this.options.sparkplugNdeathTimestamp })
      : undefined
    this.publisher = new Publisher(this.messages, this.retained, this.auth, stats, sparkplug)
    const subscriptions = new SessionSubscriptions(router, store)
    const sessionParts: LocalSessionParts = { options: this.options, stats, store, backPressure, subscriptions, wills: this.publisher }
    this.sessions = dependencies.sessions?.(sessionParts, this.cluster) ?? new LocalSessionRegistry(sessionParts)
    this.bridgeSettings = dependencies.bridges
    this.bridgeHost = {
      sessions: this.sessions,
      subscriptions,
      publisher: this.publisher,
      durable: () => this.durable(),
      logger: this.logger,
      sysInterval: this.options.sysInterval,
      placement: this.cluster?.bridgePlacement
    }
    this.protocolErrors = new ProtocolErrorLog(this.logger)
    this.packets = new PacketDispatcher({
      options: this.options,
      stats,
      logger: this.logger,
      auth: this.auth,
      sessions: this.sessions,
      subscriptions,
      retained: this.retained,
      publisher: this.publisher,
      backPressure
    })
    this.sys = new SysTopics({
      stats,
      sessions: this.sessions,
      subscriptions: router,
      retained: this.retained,
      publisher: this.publisher,
      store,
      backlog: () => this.backlog()
    })
  }

  /** The running bridges, once the first `listen` has started them. */
  get bridges(): Bridges | undefined {
    return this.runningBridges
  }

  get sessionCount(): number {
    return this.sessions.count
  }

  get subscriptionCount(): number {
    return this.router.count
  }

  /** The sessions held here, listed and discarded by the admin API; undefined where the registry cannot list them. */
  get sessionDirectory(): SessionDirectory | undefined {
    const sessions = this.sessions
    return sessions.list !== undefined && sessions.discard !== undefined ? (sessions as SessionDirectory) : undefined
  }

  /**
   * What waits in the sessions held here, summed over them (a walk of every session). A registry that cannot list its
   * sessions gives the connected ones only.
   */
  backlog(): Backlog {
    let queued = 0
    let queuedBytes = 0
    let inflight = 0
    const sessions = this.sessions.list?.() ?? Array.from(this.clients(), (connection) => connection.session!)
    for (const session of sessions) {
      const waiting = session.queued
      queued += waiting.messages
      queuedBytes += waiting.bytes
      inflight += session.inflight.size
    }
    return { queued, queuedBytes, inflight }
  }

  /** The connected clients: CONNACK has gone out and the connection is still open. */
  *clients(): IterableIterator<Connection> {
    for (const connection of this.connections) if (connection.session !== undefined && connection.isOpen) yield connection
  }

  /** Ends the connection of the client connected as `clientId` (5.0: DISCONNECT 0x98 Administrative action); false when none is. */
  disconnectClient(clientId: string): boolean {
    for (const connection of this.clients()) {
      if (connection.clientId !== clientId) continue
      connection.disconnect(Reason.AdministrativeAction, 'disconnected by an administrator')
      return true
    }
    return false
  }

  /**
   * Restores state from the store (once), then accepts MQTT on the listener: over TCP (`protocol`
   * 'mqtt', the default), TLS ('mqtts') or WebSocket ('ws', 'wss'). Call it once per listener.
   */
  async listen(listener: ListenerSpec): Promise<AddressInfo> {
    if (!this.opened) {
      this.opened = true
      await this.restore()
      await this.cluster?.start()
      this.sys.start(this.options.sysInterval)
      await this.startBridges()
    }
    const protocol = listener.protocol ?? 'mqtt'
    // Named once the port is bound (port 0 picks one); no connection is accepted before.
    const info = { name: protocol as string, anonymousAllowed: listener.allowAnonymous ?? true }
    const address = await this.open(listener, info)
    info.name = `${protocol}:${address.port}`
    return address
  }

  private async open(listener: ListenerSpec, info: ListenerInfo): Promise<AddressInfo> {
    if (listener.protocol === 'mqtts') {
      const tls = await listenTls(listener, listener.tls, (socket) => this.accept(socket, info))
      this.servers.push(tls.server)
      this.tlsListeners.push(tls)
      return tls.address
    }
    if (listener.protocol === 'ws' || listener.protocol === 'wss') {
      const tls = listener.protocol === 'wss' ? listener.tls : undefined
      const ws = await listenWs(listener, { path: listener.path ?? '/mqtt', tls, maxPayload: this.options.maxPacketSize }, (socket) =>
        this.accept(socket, info)
      )
      this.servers.push(ws.server)
      if (tls !== undefined) this.tlsListeners.push(ws)
      return ws.address
    }
    const { server, address: bound } = await listenTcp(listener, (socket) => this.accept(socket, info))
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
    await this.endConnections(Reason.ServerShuttingDown, 'server shutting down')
    for (const session of this.sessions.list?.() ?? []) session.stopTimers()
    await this.store.flush()
    await this.cluster?.stop()
    await this.store.close()
  }

  /**
   * Stops serving at once: this cluster node was found dead by the others (paused, or cut off from Redis, past its
   * liveness), and they have adopted its sessions. So its connections end with nothing written for their sessions
   * and no will sent (the recoverer holds both), and each client is sent on to resume its session on another node
   * (5.0: DISCONNECT 0x9C Use another server; 3.1.1 has no way to say it: the connection closes).
   */
  async abandon(): Promise<void> {
    if (this.closing) return
    this.abandoned = true
    await this.endConnections(Reason.UseAnotherServer, 'this node was found dead by its cluster: the session is on another node')
    await this.cluster?.stop()
    await this.store.close()
  }

  private async endConnections(reasonCode: number, reason: string): Promise<void> {
    this.closing = true
    this.sys.stop()
    await this.runningBridges?.stop()
    const closed = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())))
    for (const connection of [...this.connections]) connection.disconnect(reasonCode, reason)
    await Promise.all(closed)
  }

  /**
   * The barrier an acknowledgement of stored state waits for: the store's commit and, in a cluster, the appends to
   * other nodes' streams too, so an acknowledged message survives this node's death on its way out.
   */
  durable(): Promise<void> {
    const stored = this.store.flush()
    if (this.cluster === undefined) return stored
    const forwarded = this.messages.flush()
    const last = this.barrier
    if (last !== undefined && last.stored === stored && last.forwarded === forwarded) return last.both
    const both = Promise.all([stored, forwarded]).then(() => {})
    this.barrier = { stored, forwarded, both }
    return both
  }

  accept(socket: ClientSocket, listener: ListenerInfo): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    this.stats.socketsOpened++
    // Over the per-address rate, the client still gets its CONNACK with the reason (see handlers/connect.ts).
    const overConnectionRate = !this.connectionRate.admit(socket.remoteAddress)
    this.connections.add(new Connection(socket, this, listener, overConnectionRate))
  }

  connectionClosed(connection: Connection, wasConnected: boolean): void {
    this.connections.delete(connection)
    if (wasConnected) this.stats.clientsConnected--
    const session = connection.session
    // A cluster node going away sends the wills of its clients, as a network failure would [MQTT-3.1.2-8]: their
    // sessions live on, on the node that takes them over. A lone broker still sends none on shutdown.
    const willOnShutdown = this.cluster !== undefined
    // Abandoned: the session is another node's now; whatever this one did with it would be stale (Broker.abandon).
    if (session !== undefined && !this.abandoned)
      this.sessions.connectionClosed(session, connection, connection.sendsWill && (!this.closing || willOnShutdown))
  }

  /** Loaded only when a bridge is configured, as the Redis store is: a broker without one never loads mqtt.js. */
  private async startBridges(): Promise<void> {
    const bridges = this.bridgeSettings
    if (bridges === undefined || bridges.settings.length === 0) return
    const { Bridges } = await import('./bridge/bridges.js')
    this.runningBridges = new Bridges(this.bridgeHost, bridges.settings, bridges.node)
    await this.runningBridges.start()
  }

  /** Brings back what the store kept: retained messages, and sessions waiting offline for their expiry. */
  private async restore(): Promise<void> {
    const snapshot = await this.store.open()
    const now = Date.now()
    this.publisher.continueFrom(snapshot.lastMessageId)
    this.retained.restore(snapshot.retained, now)
    await this.sessions.restore(snapshot.sessions, now)
  }
}
