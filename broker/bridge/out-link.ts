import type { IClientPublishOptions, MqttClient } from 'mqtt'
import { type Delivery, type EncodedPublish, remainingExpiry } from '../message.js'
import type { SessionLink } from '../session/session-link.js'
import { withBridgePath } from './bridge-path.js'
import type { BridgeSettings } from './bridge-settings.js'
import type { SessionPacketIds } from './session-packet-ids.js'
import { bridgedTopicOf, toRemoteTopic } from './topic-mapping.js'

/** What the out direction hears from its link. */
export interface OutLinkEvents {
  /** The remote acknowledged the message the session sent as `packetId` (0 for QoS 0: handed to the socket). */
  forwarded(packetId: number, remoteTopic: string, payload: Buffer): void
  /** The remote refused it (5.0 PUBACK / PUBREC reason code of 0x80 or more): it is done, and dropped. */
  refused(packetId: number, remoteTopic: string, error: Error): void
  /** Echo bookkeeping for 3.1.1 remotes: called as the message is handed to the remote. */
  sending(remoteTopic: string, payload: Buffer): void
}

/**
 * The encoded form the session hands back to `writePublish`. A bridge does not encode: mqtt.js does, for the
 * remote, so the "encoding" is the delivery itself, carried through the session's send path untouched.
 */
interface Carried extends EncodedPublish {
  readonly delivery: Delivery
}

const NOTHING = Buffer.alloc(0)

/**
 * The out direction's session sees the remote through this link, as a client's session sees its connection: each
 * delivery becomes an mqtt.js PUBLISH to the remote, with the session's packet id, its topic mapped by the bridged
 * topic it matched, and the session hears the remote's PUBACK (QoS 1) or PUBCOMP (QoS 2) as the client's. mqtt.js
 * runs the QoS 2 exchange itself, so the session's record stays at 'publish' until it completes; after a lost link
 * the session sends it again with DUP and the same id, which a remote that kept our session answers with PUBREC
 * without delivering it twice.
 */
export class OutLink implements SessionLink {
  readonly protocolVersion = 5
  private open = true
  private corked = false

  constructor(
    private readonly client: MqttClient,
    private readonly packetIds: SessionPacketIds,
    private readonly settings: BridgeSettings,
    /** This broker's node name, added to the bridge path of every message forwarded (5.0). */
    private readonly node: string,
    readonly sendWindow: number,
    private readonly events: OutLinkEvents
  ) {}

  get isOpen(): boolean {
    return this.open
  }

  /** QoS 0 messages are dropped once as many bytes wait unwritten as the bridge's queue may hold (as for a client). */
  get isCongested(): boolean {
    return !this.client.connected || (this.client.stream?.writableLength ?? 0) > this.settings.queueMaxBytes
  }

  /** Local publishers are not held for the remote: past queue_max_bytes unsent, QoS 0 is dropped (isCongested). */
  socketBacklogWait(): undefined {
    return undefined
  }

  /** The connection is gone: acknowledgements that still arrive through it no longer count. */
  close(): void {
    this.open = false
  }

  encodePublish(delivery: Delivery): EncodedPublish | undefined {
    const carried: Carried = { bytes: NOTHING, idOffset: 0, delivery }
    return carried
  }

  writePublish(encoded: EncodedPublish, packetId: number, dup: boolean): void {
    const { delivery } = encoded as Carried
    const { message } = delivery
    const topic = this.topicOf(delivery)
    this.events.sending(topic, message.payload)
    this.corkForThisTurn()
    if (delivery.qos === 0) {
      // No callback: mqtt.js would wait for 'drain' with one listener per QoS 0 message behind a full socket, and
      // thousands of them cost more than the messages.
      this.client.publish(topic, message.payload, this.optionsOf(delivery, dup))
      this.events.forwarded(0, topic, message.payload)
      return
    }
    this.packetIds.use(packetId)
    this.client.publish(topic, message.payload, this.optionsOf(delivery, dup), (error) => {
      if (!this.open) return // the session sends it again on the next connection
      if (error !== undefined && error !== null) this.events.refused(packetId, topic, error)
      else this.events.forwarded(packetId, topic, message.payload)
    })
  }

  /** Never asked: mqtt.js completes QoS 2 exchanges itself, so no record of this session waits for a PUBREL. */
  sendPubrel(packetId: number): void {
    this.events.forwarded(packetId, '', NOTHING)
  }

  /** Only a connection of the bridge's own client id could take the session over, and clients cannot use it. */
  disconnect(): void {
    this.open = false
    this.client.end(true)
  }

  /**
   * Holds what is written in this turn of the event loop for one write: mqtt.js writes each PUBLISH in several
   * pieces, and the session sends one message per PUBACK, PUBACKs arriving in a batch being handled one by one.
   */
  private corkForThisTurn(): void {
    const stream = this.client.stream
    if (this.corked || stream === undefined) return
    this.corked = true
    stream.cork()
    setImmediate(() => {
      this.corked = false
      stream.uncork()
    })
  }

  private topicOf(delivery: Delivery): string {
    const id = delivery.subscriptionIds?.[0]
    const bridged =
      (id === undefined ? undefined : this.settings.topics[id - 1]) ?? bridgedTopicOf(this.settings.topics, 'local', delivery.message.topic)
    return bridged === undefined ? delivery.message.topic : toRemoteTopic(bridged, delivery.message.topic)
  }

  private optionsOf(delivery: Delivery, dup: boolean): IClientPublishOptions {
    const options: IClientPublishOptions = { qos: delivery.qos, retain: delivery.retain, dup }
    if (this.settings.protocolVersion !== 5) return options
    const { userProperties, ...properties } = delivery.message.properties ?? {}
    options.properties = {
      ...properties,
      messageExpiryInterval: remainingExpiry(delivery.message, Date.now()),
      userProperties: withBridgePath(userProperties, this.node)
    }
    return options
  }
}
