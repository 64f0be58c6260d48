import type { MqttClient } from 'mqtt'
import type { IPublishPacket, QoS } from 'mqtt-packet'
import type { Session } from '../session/session.js'
import type { BridgeHost } from './bridge-host.js'
import type { BridgeSettings } from './bridge-settings.js'
import type { BridgeState } from './bridge-state.js'
import type { EchoFilter } from './echo-filter.js'
import { bridgedTopicOf, remoteFilter, toLocalTopic } from './topic-mapping.js'

/** PUBACK / PUBREC reason code: accepted. */
const SUCCESS = 0

/**
 * Where the ids of the remote's QoS 2 messages published here are held until their PUBREL: the incoming QoS 2 ids
 * of the bridge's session (`$bridge/<name>`), kept in the durable store as a client's are.
 */
export type RemoteQos2Ids = Pick<Session, 'incomingQos2' | 'receivedQos2' | 'releasedQos2'>

/**
 * The in direction of one bridge: subscribes on the remote to the in topics and publishes what comes here, its
 * topic mapped by the prefixes, with the out direction's client id as its origin (so No Local keeps it from going
 * back out). A remote QoS 1/2 message is acknowledged only once it is durable here: a remote that has our PUBACK
 * may forget the message. With 5.0 the subscriptions have No Local (our forwarded messages do not come back) and
 * Retain As Published; a 3.1.1 remote has neither, so the echo of what we sent is recognised by the EchoFilter.
 * A remote QoS 2 message is published here exactly once: its id is held in the bridge's session from its first
 * copy until the PUBREL, so a copy the remote sends again (DUP, after a lost link or a restart here) is only
 * acknowledged again.
 */
export class Inbound {
  constructor(
    private readonly host: BridgeHost,
    private readonly settings: BridgeSettings,
    /** The out direction's client id. */
    private readonly origin: string,
    private readonly state: BridgeState,
    private readonly echoes: EchoFilter | undefined,
    /** The bridge's session, once it is open. */
    private readonly remoteQos2Ids: () => RemoteQos2Ids | undefined
  ) {}

  get hasTopics(): boolean {
    return this.settings.topics.some((topic) => topic.direction !== 'out')
  }

  /**
   * Subscribes on the remote (again on each connection: a remote may have lost our session); resolves on the SUBACK,
   * at once when there is nothing to subscribe to.
   */
  async subscribe(client: MqttClient): Promise<void> {
    const v5 = this.settings.protocolVersion === 5
    const filters: Record<string, { qos: QoS; nl?: boolean; rap?: boolean; rh?: number }> = {}
    for (const topic of this.settings.topics) {
      if (topic.direction === 'out') continue
      filters[remoteFilter(topic)] = v5 ? { qos: topic.qos, nl: true, rap: true, rh: 0 } : { qos: topic.qos }
    }
    if (Object.keys(filters).length === 0) return
    await new Promise<void>((resolve) => {
      client.subscribe(filters, (error, granted) => {
        resolve()
        const refused = (granted ?? []).filter((grant) => grant.qos >= 0x80)
        if (error === null && refused.length === 0) return
        this.host.logger.error(
          { bridge: this.settings.name, refused: refused.map((grant) => grant.topic), error: error?.message },
          `bridge ${this.settings.name}: the remote refused the subscription to ${refused.map((grant) => grant.topic).join(', ') || Object.keys(filters).join(', ')}`
        )
      })
    })
  }

  /** A QoS 0 message from the remote. */
  received(packet: IPublishPacket): void {
    if (packet.qos === 0) this.publishLocally(packet)
  }

  /**
   * A QoS 1/2 message from the remote (mqtt.js customHandleAcks): acknowledged once it is durable here. When the
   * store fails it is not acknowledged and the link is dropped (remote-link.ts), so the remote sends it again.
   */
  acknowledge(packet: IPublishPacket, acknowledged: (outcome: number | Error) => void): void {
    if (packet.qos !== 2) this.publishLocally(packet)
    else {
      const ids = this.remoteQos2Ids()
      const packetId = packet.messageId ?? 0
      // A copy of a message held since its first copy: acknowledged again, published no more [MQTT-4.3.3-10].
      // Its PUBREC still waits for the commit: the first copy's may not have been sent yet.
      if (ids?.incomingQos2.has(packetId) !== true) {
        this.publishLocally(packet)
        ids?.receivedQos2(packetId)
      }
    }
    this.host.durable().then(
      () => acknowledged(SUCCESS),
      (error: unknown) => acknowledged(new Error(`the store failed, so the message was not acknowledged: ${String(error)}`))
    )
  }

  /** PUBREL: the remote may use `packetId` for a new message once this is durable. */
  released(packetId: number): Promise<void> {
    this.remoteQos2Ids()?.releasedQos2(packetId)
    return this.host.durable()
  }

  /**
   * The remote did not keep our session (CONNACK without Session Present): it numbers its messages afresh, so no id
   * held for it still stands for a message.
   */
  remoteSessionLost(): void {
    const ids = this.remoteQos2Ids()
    for (const packetId of [...(ids?.incomingQos2 ?? [])]) ids?.releasedQos2(packetId)
  }

  private publishLocally(packet: IPublishPacket): void {
    const payload = packet.payload as Buffer
    if (this.echoes?.isEcho(packet.topic, payload) === true) {
      this.state.droppedBy.loop++
      return
    }
    const bridged = bridgedTopicOf(this.settings.topics, 'remote', packet.topic)
    if (bridged === undefined) return // a subscription of an earlier config the remote still holds
    const topic = toLocalTopic(bridged, packet.topic)
    // A 3.1.1 remote sets retain only on messages it had retained when we subscribed: those stay retained here.
    const qos = Math.min(packet.qos, bridged.qos) as QoS
    const { publisher } = this.host
    publisher.publish(publisher.createMessage({ ...packet, topic, qos }, topic, this.origin, undefined, 5))
    this.state.forwardedIn++
  }
}
