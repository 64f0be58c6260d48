import type { Logger } from 'pino'
import type { Publisher } from '../publisher.js'
import type { SessionRegistry } from '../session/session-registry.js'
import type { SessionSubscriptions } from '../session/session-subscriptions.js'
import type { BridgePlacement } from './bridge-placement.js'

/**
 * What bridges use of the broker they run in: its session registry, where each bridge holds the session of its
 * out direction as a client would; subscriptions for that session; the publish pipeline, where messages from the
 * remote enter and $SYS figures go; and the durability barrier an acknowledgement to the remote waits for.
 */
export interface BridgeHost {
  readonly sessions: Pick<SessionRegistry, 'open' | 'connectionClosed'>
  readonly subscriptions: Pick<SessionSubscriptions, 'add' | 'remove'>
  readonly publisher: Pick<Publisher, 'createMessage' | 'publish' | 'publishSystem' | 'admitOnly'>
  /** Resolves once what was published so far is in the store (and, in a cluster, on its way to other nodes). */
  durable(): Promise<void>
  readonly logger: Logger
  /** Seconds between updates of the bridges' $SYS figures; 0 publishes only the state, when it changes. */
  readonly sysInterval: number
  /** On a cluster node: which bridges run here (each on one node at a time). Absent: all of them. */
  readonly placement?: BridgePlacement
}
