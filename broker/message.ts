import type { IPublishPacket, QoS } from 'mqtt-packet'

/** The PUBLISH properties a broker forwards; Topic Alias and Subscription Identifier are per hop and per subscriber. */
export type MessageProperties = Omit<NonNullable<IPublishPacket['properties']>, 'topicAlias' | 'subscriptionIdentifier'>

/** An encoded PUBLISH of one outgoing form; for QoS 1/2 the packet id sits at `idOffset` and is patched per copy. */
export interface EncodedPublish {
  bytes: Buffer
  idOffset: number
}

/**
 * One published message, stored once and referenced by every session that receives it
 * (retained store, queues, in-flight windows). Nothing in it is per subscriber.
 */
export interface Message {
  /** Broker-wide sequence number: the store's key for the message. */
  readonly id: number
  readonly topic: string
  payload: Buffer
  readonly qos: QoS
  readonly retain: boolean
  readonly properties: MessageProperties | undefined
  /** When the Message Expiry Interval runs out, in ms since the epoch; 0 = never. */
  readonly expiresAt: number
  /** When the broker received it, in ms since the epoch. */
  readonly receivedAt: number
  /** Client id of the publisher (No Local); '' for messages the broker makes itself. */
  readonly origin: string
  /** Encoded forms, filled on first use by publish-encoding.ts; a slot per (protocol, QoS, retain flag). */
  forms: Array<EncodedPublish | undefined> | undefined
}

/** What a PUBLISH to one subscriber carries of its own, so it cannot share the message's cached encode. */
export interface PerSubscriber {
  subscriptionIds: number[] | undefined
  /** Outgoing Topic Alias, and whether the topic goes with it (first use of the alias). */
  topicAlias: number | undefined
  sendTopic: boolean
}

export interface Delivery {
  readonly message: Message
  /** QoS towards this subscriber: the lower of the message's and the subscription's. */
  readonly qos: QoS
  /** Retain flag towards this subscriber. */
  readonly retain: boolean
  /** 5.0 Subscription Identifiers of every matching subscription. */
  readonly subscriptionIds: number[] | undefined
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== 0 && message.expiresAt <= now
}

/** Seconds left of the Message Expiry Interval, as forwarded to a subscriber (spec 3.3.2.3.3). */
export function remainingExpiry(message: Message, now: number): number | undefined {
  if (message.expiresAt === 0) return undefined
  return Math.max(1, Math.ceil((message.expiresAt - now) / 1000))
}

/**
 * Copies the payload out of the socket chunk it was parsed from, so a message kept for long
 * (retained, queued for an offline session) does not pin the whole chunk in memory.
 */
export function ownPayload(message: Message): void {
  const payload = message.payload
  if (payload.byteOffset === 0 && payload.buffer.byteLength === payload.length) return
  message.payload = Buffer.from(payload)
  message.forms = undefined
}

/**
 * ownPayload for a message queued behind a connected client's in-flight window: it goes out soon, in the form
 * seeded from the wire, and its queue is short (a slow client holds its publishers). A payload whose memory is no
 * larger than a copy of it would take (a small copy comes from an 8 KiB pool slab) stays where it is, and so does a
 * copy made before. Otherwise, when the seeded form is in the same chunk, it is the form that is copied and the
 * payload that points into it: nothing pins the chunk, and the message need not be encoded again.
 */
export function ownPayloadForSending(message: Message): void {
  const payload = message.payload
  if (payload.buffer.byteLength <= Math.max(Buffer.poolSize, payload.length * 2)) return
  const forms = message.forms
  if (forms !== undefined) {
    for (let slot = 0; slot < forms.length; slot++) {
      const form = forms[slot]
      if (form === undefined || form.bytes.buffer !== payload.buffer) continue
      const start = payload.byteOffset - form.bytes.byteOffset
      if (start < 0 || start + payload.length > form.bytes.length) continue
      const bytes = Buffer.from(form.bytes)
      forms[slot] = { bytes, idOffset: form.idOffset }
      message.payload = bytes.subarray(start, start + payload.length)
      return
    }
  }
  ownPayload(message)
}

export function payloadSize(message: Message): number {
  return message.payload.length
}
