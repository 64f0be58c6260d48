import type { MqttClient } from 'mqtt'
import type { IConnackPacket } from 'mqtt-packet'
import type { Delivery } from '../message.js'
import type { Subscription } from '../router/subscription.js'
import { NEVER_EXPIRES } from '../session/expiry.js'
import type { Session } from '../session/session.js'
import type { SessionLink } from '../session/session-link.js'
import type { SessionRequest } from '../session/session-registry.js'
import type { BridgeHost } from './bridge-host.js'
import { BRIDGE_SESSION_PREFIX } from './bridge-session-prefix.js'
import type { BridgeSettings } from './bridge-settings.js'
import type { BridgeDropReason, BridgeQueueDepth, BridgeState } from './bridge-state.js'
import type { EchoFilter } from './echo-filter.js'
import { OutLink } from './out-link.js'
import { localFilter } from './topic-mapping.js'

/** QoS 1/2 messages in flight to the remote at most, below its Receive Maximum. */
const OUT_WINDOW = 100

/**
 * The session's link while the remote is away: never written to, since the session is offline. Open, for the open
 * that takes it: a cluster node's registry gives nothing to a link that closed while it waited for the session.
 */
const awayLink: SessionLink = {
  isOpen: true,
  protocolVersion: 5,
  sendWindow: 0,
  isCongested: true,
  encodePublish: () => undefined,
  writePublish: () => {},
  sendPubrel: () => {},
  socketBacklogWait: () => undefined,
  disconnect: () => {}
}

/**
 * The out direction of one bridge: a persistent session of the broker's own, `$bridge/<name>`, subscribed to the
 * out topics at their QoS. While the remote is away the session is offline, so QoS 1/2 messages wait in the
 * durable store under the same promise as any persistent session's (a publisher's PUBACK waits for the commit),
 * survive a restart, and are bounded by the bridge's queue limits; while it is there the session is attached to an
 * OutLink and the remote's acknowledgement completes each message, in order. Its subscriptions have No Local, and
 * messages the in direction brings from the remote are published with the session's client id as their origin,
 * so they are never sent back.
 */
export class Outbound {
  private session: Session | undefined
  private link: OutLink | undefined
  private dropsUnlogged = 0
  private lastDropLog = 0

  constructor(
    private readonly host: BridgeHost,
    private readonly settings: BridgeSettings,
    private readonly node: string,
    private readonly state: BridgeState,
    private readonly echoes: EchoFilter | undefined
  ) {}

  get clientId(): string {
    return BRIDGE_SESSION_PREFIX + this.settings.name
  }

  /** The session, once opened: the in direction holds the remote's QoS 2 ids in it (inbound.ts). */
  get heldSession(): Session | undefined {
    return this.session
  }

  get queueDepth(): BridgeQueueDepth {
    return this.session?.queued ?? { messages: 0, bytes: 0 }
  }

  /** Opens the session (resumed from the store after a restart), offline, with the configured subscriptions. */
  async open(): Promise<void> {
    const session = await this.openSession(awayLink)
    if (session === undefined) return
    this.host.sessions.connectionClosed(session, awayLink, false)
    const wanted = new Map<string, Subscription>()
    for (const [index, topic] of this.settings.topics.entries()) {
      if (topic.direction === 'in') continue
      const filter = localFilter(topic)
      const subscriptionId = index + 1 // which bridged topic a delivery matched, for its remote topic
      wanted.set(filter, {
        session,
        fullFilter: filter,
        filter,
        group: undefined,
        qos: topic.qos,
        noLocal: true,
        retainAsPublished: true,
        retainHandling: 2,
        subscriptionId,
        subscriptionIds: [subscriptionId]
      })
    }
    for (const filter of [...session.subscriptions.keys()]) {
      if (!wanted.has(filter)) this.host.subscriptions.remove(session, filter) // a topic taken out of the config
    }
    for (const subscription of wanted.values()) this.host.subscriptions.add(session, subscription)
  }

  /** The remote is there: the session sends what was in flight again, then its queue, then each new message. */
  async attach(client: MqttClient, connack: IConnackPacket): Promise<void> {
    const window = Math.min(OUT_WINDOW, connack.properties?.receiveMaximum ?? OUT_WINDOW)
    const link = new OutLink(client, this.settings, this.node, window, {
      forwarded: (packetId) => {
        this.state.forwardedOut++
        if (packetId !== 0) this.session?.complete(packetId)
      },
      refused: (packetId, topic, error) => {
        this.countDrop('refused', `the remote refused a message on ${topic}: ${error.message}`)
        if (packetId !== 0) this.session?.complete(packetId)
      },
      sending: (topic, payload) => this.echoes?.remember(topic, payload)
    })
    this.link = link
    const session = await this.openSession(link)
    if (session === undefined) return
    if (this.link !== link) {
      this.host.sessions.connectionClosed(session, link, false) // the remote went while the session opened
      return
    }
    session.resume()
  }

  /** The remote is gone: the session goes offline and keeps what it has not had acknowledged. */
  detach(): void {
    const { link, session } = this
    this.link = undefined
    if (link === undefined || session === undefined) return
    link.close()
    this.host.sessions.connectionClosed(session, link, false)
  }

  private async openSession(link: SessionLink): Promise<Session | undefined> {
    const request: SessionRequest = {
      clientId: this.clientId,
      username: undefined,
      cleanStart: false,
      expiry: NEVER_EXPIRES,
      will: undefined,
      queueLimits: {
        maxMessages: this.settings.queueMaxMessages,
        maxBytes: this.settings.queueMaxBytes,
        dropped: (delivery: Delivery) =>
          this.countDrop('queue_full', `queue full: dropped the oldest message, on ${delivery.message.topic}`)
      }
    }
    const opened = await this.host.sessions.open(link, request)
    if ('refused' in opened) {
      this.host.logger.error(
        { bridge: this.settings.name, refused: opened.refused },
        `bridge ${this.settings.name}: its session cannot be opened`
      )
      return undefined
    }
    this.session = opened.session
    return opened.session
  }

  /** Counts a dropped message, and logs the first drop and then at most one line every 10 s with the count since. */
  private countDrop(reason: BridgeDropReason, what: string): void {
    this.state.droppedBy[reason]++
    this.dropsUnlogged++
    const now = Date.now()
    if (now - this.lastDropLog < 10_000) return
    const { queueMaxMessages, queueMaxBytes, name } = this.settings
    this.host.logger.warn(
      { bridge: name, dropped: this.dropsUnlogged, droppedTotal: this.state.dropped, queueMaxMessages, queueMaxBytes },
      `bridge ${name}: ${what} (${this.dropsUnlogged} dropped since the last report, ${this.state.dropped} in all)`
    )
    this.dropsUnlogged = 0
    this.lastDropLog = now
  }
}
