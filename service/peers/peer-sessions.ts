import type { Logger } from 'pino'
import type { InstanceInfo, PeerStatus } from '../api/api-types.js'
import type { IngestRoute } from '../ingest/ingest.js'
import type { Publisher } from '../ingest/publisher.js'
import { type IncomingMessage, type MessageHandler, type Presence, ServiceLink, type ServiceLinkOptions } from '../ingest/service-link.js'
import { clientIdOfPresence, decodePresence, encodePeerMessage, PRESENCE_FILTER, presenceTopic } from './peer-topics.js'

export interface PeerSessionsOptions {
  self: InstanceInfo
  /** How an adopted session connects: the service link's brokers, login and session expiry. */
  connect: Pick<ServiceLinkOptions, 'urls' | 'username' | 'password' | 'sessionExpirySeconds'>
  /** The instance's own link, for the announcements it makes about others. */
  link: Publisher
  /** Where an adopted session's messages go: ingest, which acknowledges each on the link it came by. */
  receive: MessageHandler
  logger: Pick<Logger, 'info' | 'warn' | 'error'>
}

/**
 * Active-active instances watching over each other's broker sessions. Each instance announces itself,
 * retained, with a will that says it is gone. A QoS 1 reading the broker handed to an instance that then
 * died stays in that instance's persistent session, unacknowledged, until that client id connects again: so
 * when an instance is gone, one survivor (the one with the smallest client id among the active instances, the
 * same choice on every instance) connects with the dead one's client id and adopts its session. The broker
 * sends it the readings in flight and queued there, which it stores and acknowledges as its own, and it keeps
 * the session until the owner comes back (whose CONNECT takes the session over, ending the adopter's
 * connection with 0x8E). The adopting connection's will says the owner is gone again, so if the adopter dies
 * too, the next survivor adopts both. No consensus of our own: the broker's one-connection-per-client-id rule
 * is the lock, and the retained announcements are the membership.
 */
export class PeerSessions {
  private readonly peers = new Map<string, PeerStatus>()
  private readonly adopted = new Map<string, ServiceLink>()
  private readonly changeListeners: Array<() => void> = []
  private closed = false

  constructor(private readonly options: PeerSessionsOptions) {}

  /** This instance's own announcement, for its link: active on every connect, gone as its will, stopped on a clean close. */
  static presenceOf(self: InstanceInfo): Presence {
    return {
      topic: presenceTopic(self.clientId),
      online: encodePeerMessage({ ...self, state: 'active' }),
      gone: encodePeerMessage({ ...self, state: 'gone' }),
      stopped: encodePeerMessage({ ...self, state: 'stopped' })
    }
  }

  /**
   * Whether this instance has the smallest client id among the active instances it knows of: the same choice
   * on every instance once the announcements have reached them all. That one adopts dead peers' sessions,
   * evaluates the alert rules and runs the Sparkplug host.
   */
  leads(): boolean {
    const self = this.options.self.clientId
    const active = [...this.peers.values()].filter((peer) => peer.state === 'active').map((peer) => peer.clientId)
    return [self, ...active].sort()[0] === self
  }

  /** Calls `listener` after every announcement that may have changed who is first. */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener)
  }

  /** The others as last announced, by client id. */
  list(): PeerStatus[] {
    return [...this.peers.values()].sort((a, b) => a.clientId.localeCompare(b.clientId)).map((peer) => ({ ...peer }))
  }

  /**
   * The others' announcements. No Local: an adopted session carries the dead one's client id, so without it the
   * dead one's own will, queued in that session, would come back through the adopting link as news.
   */
  route(): IngestRoute {
    return {
      filter: PRESENCE_FILTER,
      noLocal: true,
      handle: (message) => {
        this.take(message)
        for (const listener of this.changeListeners) listener()
      }
    }
  }

  /** One announcement, or its clearing by an operator. */
  private take({ topic, payload }: IncomingMessage): void {
    if (payload.length === 0) {
      this.retire(clientIdOfPresence(topic))
      return
    }
    const peer = decodePresence(payload)
    if (peer === undefined || peer.clientId === this.options.self.clientId) return
    const holding = this.adopted.get(peer.clientId)
    // Gone while held: the adopting link's own will after a broken connection, which it is reconnecting.
    if (holding !== undefined && (peer.state === 'gone' || (peer.state === 'adopted' && peer.adoptedBy === this.options.self.clientId)))
      return
    this.peers.set(peer.clientId, peer)
    if (holding !== undefined) {
      // Back (its CONNECT took the session over), stopped cleanly, or held by another survivor: let it go.
      this.adopted.delete(peer.clientId)
      void holding.close()
    }
    this.adoptOrphans()
  }

  /**
   * Stops holding adopted sessions. Each is announced gone once let go, so that another survivor adopts it: a
   * clean DISCONNECT sends no will.
   */
  async close(): Promise<void> {
    this.closed = true
    const held = [...this.adopted.keys()]
    await Promise.all([...this.adopted.values()].map((link) => link.close()))
    this.adopted.clear()
    for (const clientId of held) {
      const peer = this.peers.get(clientId)
      if (peer !== undefined) this.announce(goneRecord(peer))
    }
  }

  /**
   * An announcement cleared (an empty retained message, by an operator retiring an instance that will not come
   * back): forget it, and let its session go, which then expires on the broker.
   */
  private retire(clientId: string | undefined): void {
    if (clientId === undefined) return
    this.peers.delete(clientId)
    const holding = this.adopted.get(clientId)
    if (holding === undefined) return
    this.adopted.delete(clientId)
    this.options.logger.info({ peer: clientId }, `instance ${clientId} retired: no longer holding its session`)
    void holding.close()
  }

  /** Not waiting for the PUBACK: the link's own close waits for what is outstanding, for as long as it waits at all. */
  private announce(status: PeerStatus): void {
    this.options.link.publish(presenceTopic(status.clientId), encodePeerMessage(status), { qos: 1, retain: true }).catch(() => {})
  }

  /** Adopts every gone peer whose session nobody holds, when this instance is the one to. */
  private adoptOrphans(): void {
    if (this.closed || !this.leads()) return
    for (const peer of this.peers.values()) {
      // A gone SQLite instance's session is its standby's to take over, with its data directory.
      if (peer.state === 'gone' && peer.mode === 'active-active' && !this.adopted.has(peer.clientId)) this.adopt(peer)
    }
  }

  private adopt(peer: PeerStatus): void {
    const { self, logger } = this.options
    const gone = goneRecord(peer)
    const held: PeerStatus = { ...gone, state: 'adopted', adoptedBy: self.clientId }
    const link = new ServiceLink({
      ...this.options.connect,
      clientId: peer.clientId,
      logger,
      presence: { topic: presenceTopic(peer.clientId), online: encodePeerMessage(held), gone: encodePeerMessage(gone) },
      onTakenOver: () => {
        if (this.adopted.get(peer.clientId) === link) this.adopted.delete(peer.clientId)
      },
      onConnect: (sessionPresent) => {
        if (sessionPresent || this.adopted.get(peer.clientId) !== link) return
        // Its session had expired (or it never had one): nothing waits in it, and nobody needs to hold it.
        logger.info({ peer: peer.clientId }, `instance ${peer.clientId} has no session left on the broker: retiring it`)
        // On this link, after its own announcement, so that the cleared one is the one retained.
        link.publish(presenceTopic(peer.clientId), Buffer.alloc(0), { qos: 1, retain: true }).catch(() => {})
        this.retire(peer.clientId)
      }
    })
    this.adopted.set(peer.clientId, link)
    this.peers.set(peer.clientId, held)
    logger.warn(
      { peer: peer.clientId, host: peer.host, pid: peer.pid },
      `instance ${peer.clientId} is gone: adopting its broker session, to store the readings queued for it until it comes back`
    )
    link.connect({ filters: [], onMessage: this.options.receive })
  }
}

/** What a peer's announcement says once nobody holds its session. */
function goneRecord(peer: PeerStatus): PeerStatus {
  const { adoptedBy: _, ...gone } = peer
  return { ...gone, state: 'gone' }
}
