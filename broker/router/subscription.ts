import type { QoS } from 'mqtt-packet'
import type { Session } from '../session/session.js'

/** One granted subscription of one session, as SUBSCRIBE asked for it (spec 3.8.3.1). */
export interface Subscription {
  readonly session: Session
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
