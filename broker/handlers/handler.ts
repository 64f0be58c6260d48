import type { Packet } from 'mqtt-packet'
import type { Logger } from 'pino'
import type { AuthHooks } from '../auth/hooks.js'
import type { Connection } from '../connection.js'
import type { BrokerOptions } from '../options.js'
import type { Publisher } from '../publisher.js'
import type { RetainedMessages } from '../retained/retained.js'
import type { PublishBackPressure } from '../session/publish-back-pressure.js'
import type { SessionRegistry } from '../session/session-registry.js'
import type { SessionSubscriptions } from '../session/session-subscriptions.js'
import type { BrokerStats } from '../stats.js'

/** Everything a packet handler may talk to besides its connection; each handler names the part it uses. */
export interface HandlerContext {
  readonly options: Readonly<BrokerOptions>
  readonly stats: BrokerStats
  readonly logger: Logger
  readonly auth: AuthHooks
  readonly sessions: SessionRegistry
  readonly subscriptions: SessionSubscriptions
  readonly retained: RetainedMessages
  readonly publisher: Publisher
  /** Holds a publisher whose message queued up behind a slow connected session. */
  readonly backPressure: PublishBackPressure
}

/**
 * The one signature of every packet handler. `context` is the slice of HandlerContext it declares in `Uses`;
 * `wire` is the packet's own bytes. A handler returns a promise only when it must wait (for the store, for
 * authentication); the connection holds its next packets until then. Connection-level violations are thrown
 * as ProtocolError.
 */
export type PacketHandler<P extends Packet, Uses extends keyof HandlerContext = never> = (
  connection: Connection,
  packet: P,
  context: Pick<HandlerContext, Uses>,
  wire: Buffer
) => void | Promise<void>
