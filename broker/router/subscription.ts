import type { QoS } from 'mqtt-packet'
import type { Delivery } from '../message.js'

/**
 * The session that holds a subscription, as routing sees it: who it is (client id, and the user name its
 * read access is judged by), whether a connection is attached, and where a matching message goes. session/session.ts implements it; declared here so that routing
 * needs nothing from sessions.
 */
export interface Subscriber {
  readonly clientId: string
  readonly username: string | undefined
  readonly isConnected: boolean
  deliver(delivery: Delivery): void
}

/** One granted subscription of one session, as SUBSCRIBE asked for it (spec 3.8.3.1). */
export interface Subscription {
  readonly session: Subscriber
  /** The filter as the client wrote it, `$share/{group}/` included: the key for UNSUBSCRIBE. */
  readonly fullFilter: string
  /** The filter matched against topics. */
  readonly filter: string
  readonly group: string | undefined
  readonly qos: QoS
  readonly noLocal: boolean
  readonly retainAsPublished: boolean
  readonly retainHandling: 0 | 1 | 2
  readonly subscriptionId: number | undefined
  /** `[subscriptionId]`, built once so deliveries share it. */
  readonly subscriptionIds: number[] | undefined
}
