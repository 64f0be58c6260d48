import type { IConnectPacket, QoS } from 'mqtt-packet'
import type { Delivery, Message } from '../message.js'
import { decodeProperties, encodeProperties } from './properties-json.js'
import type { InflightRecord, SessionRecord, SubscriptionRecord } from './store.js'

/** A message as the Redis store keeps it: JSON, the payload in base64, properties as properties-json.ts writes them. */
interface MessageJson {
  id: number
  topic: string
  payload: string
  qos: QoS
  retain: boolean
  properties: string | null
  expiresAt: number
  receivedAt: number
  origin: string
}

interface DeliveryJson {
  message: MessageJson
  qos: QoS
  retain: boolean
  subscriptionIds: number[] | null
}

function messageJson(message: Message): MessageJson {
  return {
    id: message.id,
    topic: message.topic,
    payload: message.payload.toString('base64'),
    qos: message.qos,
    retain: message.retain,
    properties: encodeProperties(message.properties),
    expiresAt: message.expiresAt,
    receivedAt: message.receivedAt,
    origin: message.origin
  }
}

function fromMessageJson(json: MessageJson): Message {
  return {
    id: json.id,
    topic: json.topic,
    payload: Buffer.from(json.payload, 'base64'),
    qos: json.qos,
    retain: json.retain,
    properties: decodeProperties(json.properties),
    expiresAt: json.expiresAt,
    receivedAt: json.receivedAt,
    origin: json.origin,
    forms: undefined
  }
}

function deliveryJson(delivery: Delivery): DeliveryJson {
  return {
    message: messageJson(delivery.message),
    qos: delivery.qos,
    retain: delivery.retain,
    subscriptionIds: delivery.subscriptionIds ?? null
  }
}

function fromDeliveryJson(json: DeliveryJson): Delivery {
  return {
    message: fromMessageJson(json.message),
    qos: json.qos,
    retain: json.retain,
    subscriptionIds: json.subscriptionIds ?? undefined
  }
}

export function encodeMessage(message: Message): string {
  return JSON.stringify(messageJson(message))
}

export function decodeMessage(text: string): Message {
  return fromMessageJson(JSON.parse(text) as MessageJson)
}

export function encodeDelivery(delivery: Delivery): string {
  return JSON.stringify(deliveryJson(delivery))
}

export function decodeDelivery(text: string): Delivery {
  return fromDeliveryJson(JSON.parse(text) as DeliveryJson)
}

/**
 * An in-flight record with its place in the session's sending order (format 3; format 2 kept the place in the
 * `inflight-order` sorted set, and its records have no `order`).
 */
export function encodeInflight(record: InflightRecord, order: number): string {
  return JSON.stringify({ packetId: record.packetId, state: record.state, order, delivery: deliveryJson(record.delivery) })
}

export function decodeInflight(text: string): { record: InflightRecord; order: number | undefined } {
  const json = JSON.parse(text) as { packetId: number; state: InflightRecord['state']; order?: number; delivery: DeliveryJson }
  return { record: { packetId: json.packetId, state: json.state, delivery: fromDeliveryJson(json.delivery) }, order: json.order }
}

/** JSON has no undefined: an anonymous owner's username is written as null. */
export function encodeSession(record: SessionRecord): string {
  const owner = record.owner === 'unknown' ? 'unknown' : { username: record.owner.username ?? null }
  return JSON.stringify({ ...record, disconnectedAt: record.disconnectedAt ?? null, owner })
}

export function decodeSession(text: string): SessionRecord {
  const json = JSON.parse(text) as Omit<SessionRecord, 'disconnectedAt' | 'owner'> & {
    disconnectedAt: number | null
    owner: 'unknown' | { username: string | null }
  }
  const owner = json.owner === 'unknown' ? 'unknown' : { username: json.owner.username ?? undefined }
  return { ...json, disconnectedAt: json.disconnectedAt ?? undefined, owner }
}

export function encodeSubscription(subscription: SubscriptionRecord): string {
  return JSON.stringify({ ...subscription, subscriptionId: subscription.subscriptionId ?? null })
}

export function decodeSubscription(text: string): SubscriptionRecord {
  const json = JSON.parse(text) as Omit<SubscriptionRecord, 'subscriptionId'> & { subscriptionId: number | null }
  return { ...json, subscriptionId: json.subscriptionId ?? undefined }
}

/** The will of a connected client as a cluster keeps it, so another node can send it if this one dies. */
export interface WillRecord {
  will: NonNullable<IConnectPacket['will']>
  /** Who the will is published as (its authorization). */
  username: string | undefined
}

export function encodeWill({ will, username }: WillRecord): string {
  return JSON.stringify({
    topic: will.topic,
    payload: Buffer.from(will.payload).toString('base64'),
    qos: will.qos ?? 0,
    retain: will.retain ?? false,
    properties: encodeProperties(will.properties),
    username: username ?? null
  })
}

export function decodeWill(text: string): WillRecord {
  const json = JSON.parse(text) as {
    topic: string
    payload: string
    qos: QoS
    retain: boolean
    properties: string | null
    username: string | null
  }
  const properties = decodeProperties(json.properties) as NonNullable<IConnectPacket['will']>['properties']
  return {
    will: { topic: json.topic, payload: Buffer.from(json.payload, 'base64'), qos: json.qos, retain: json.retain, properties },
    username: json.username ?? undefined
  }
}
