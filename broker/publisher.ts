import type { IPublishPacket, QoS } from 'mqtt-packet'
import type { AuthHooks } from './auth/hooks.js'
import type { Message, MessageProperties } from './message.js'
import { seedFromWire } from './publish-encoding.js'
import type { RetainedMessages } from './retained/retained.js'
import type { MessageRouter } from './router/message-router.js'
import type { Will } from './session/will.js'
import type { SparkplugAware } from './sparkplug/sparkplug-aware.js'
import { type BrokerStats, DropReason } from './stats.js'

/**
 * The publish pipeline, the one way a message enters the broker, whoever sends it: a client's PUBLISH
 * (handlers/publish.ts), a will (sessions), a $SYS figure (sys/). It makes the Message (numbered, its expiry
 * fixed, the per-hop properties dropped), keeps or clears it as the topic's retained message, and hands it
 * to the router. With Sparkplug awareness on, births are also kept on their `$sparkplug/certificates/` topic.
 */
export class Publisher {
  private lastMessageId = 0
  /** Says whether a message may enter; set by bridges, which turn away what has been through this broker before. */
  private admits: ((message: Message) => boolean) | undefined

  constructor(
    private readonly router: MessageRouter,
    private readonly retained: Pick<RetainedMessages, 'keep'>,
    private readonly auth: Pick<AuthHooks, 'authorizePublish'>,
    private readonly stats: BrokerStats,
    private readonly sparkplug?: SparkplugAware
  ) {}

  /** Numbers new messages on from `lastMessageId` (the store's highest, on restore). */
  continueFrom(lastMessageId: number): void {
    this.lastMessageId = lastMessageId
  }

  /** The message a PUBLISH carries; `wire` (its bytes, when it came from a client) seeds the encode cache. */
  createMessage(packet: IPublishPacket, topic: string, origin: string, wire: Buffer | undefined, version: 3 | 4 | 5): Message {
    const now = Date.now()
    const expiry = packet.properties?.messageExpiryInterval
    const message: Message = new PublishedMessage(
      ++this.lastMessageId,
      topic,
      packet.payload as Buffer,
      packet.qos,
      packet.retain,
      forwardedProperties(packet.properties),
      expiry !== undefined && expiry > 0 ? now + expiry * 1000 : 0,
      now,
      origin
    )
    if (wire !== undefined) seedFromWire(message, version, wire)
    return message
  }

  /** Sets the one check every message must pass to enter; a message turned away is counted as dropped. */
  admitOnly(admits: (message: Message) => boolean): void {
    this.admits = admits
  }

  /** Keeps (or clears) the retained message of the topic and routes the message to every matching subscription. */
  publish(published: Message): void {
    if (this.admits !== undefined && !this.admits(published)) {
      this.stats.dropped[DropReason.BridgeLoop]++
      return
    }
    const message = this.sparkplug === undefined ? published : this.sparkplug.beforeRoute(published)
    if (message.retain) this.retained.keep(message)
    this.router.route(message)
    const certificateTopic = this.sparkplug?.certificateTopic(message.topic)
    if (certificateTopic !== undefined) this.keepCertificate(certificateTopic, message)
  }

  /** A Sparkplug birth's retained copy, published as the broker's own message with the birth's QoS. */
  private keepCertificate(topic: string, birth: Message): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload: birth.payload, qos: birth.qos, retain: true, dup: false }
    this.publish(this.createMessage(packet, topic, '', undefined, 4))
  }

  /** A message from the broker itself ($SYS), retained, QoS 0. */
  publishSystem(topic: string, payload: string): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload: Buffer.from(payload), qos: 0, retain: true, dup: false }
    this.publish(this.createMessage(packet, topic, '', undefined, 4))
  }

  /** The will of `clientId`, whose connection is gone: authorized as the client's own PUBLISH would be. */
  publishWill(will: Will, clientId: string, username: string | undefined): void {
    const identity = { clientId, username, remoteAddress: undefined }
    if (!this.auth.authorizePublish(identity, will.topic, will.qos ?? 0, will.retain ?? false)) {
      this.stats.dropped[DropReason.Acl]++
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
    this.publish(this.createMessage(packet, will.topic, clientId, undefined, 5))
  }
}

/**
 * A message as createMessage makes it: a class, not an object literal, for the reason codec.ts gives for its decoded
 * PUBLISH (an old-generation message would pin its payload's socket chunk until the next full collection).
 */
class PublishedMessage implements Message {
  forms: Message['forms'] = undefined

  constructor(
    readonly id: number,
    readonly topic: string,
    public payload: Buffer,
    readonly qos: QoS,
    readonly retain: boolean,
    readonly properties: MessageProperties | undefined,
    readonly expiresAt: number,
    readonly receivedAt: number,
    readonly origin: string
  ) {}
}

/** The properties forwarded to subscribers: everything but the per-hop Topic Alias and Subscription Identifier. */
function forwardedProperties(properties: IPublishPacket['properties']): MessageProperties | undefined {
  if (properties === undefined) return undefined
  const { topicAlias: _alias, subscriptionIdentifier: _ids, ...forwarded } = properties
  for (const key in forwarded) if ((forwarded as Record<string, unknown>)[key] !== undefined) return forwarded
  return undefined
}
