import { NATIVE_PROGRAMS } from './native-build.js'
import { NativeHelper } from './native-helper.js'

/** The one line native/fanout-receiver.c prints on `report`. */
export interface ReceiverReport {
  /** From `reset` to `report`, by the receiver's clock. */
  seconds: number
  delivered: number
  bytes: number
  /** Socket reads and epoll wake-ups in the window: what the receiver's CPU goes on. */
  reads: number
  wakeups: number
  p50Ms: number | null
  p99Ms: number | null
  /** Deliveries read before they were sent: the two clocks disagree. */
  negativeLatencies: number
  subscribers: number
  /** Connections the broker closed during the run, and why the last one went. */
  lost: number
  lostReason: string
}

/**
 * The fan-out scenarios' subscribers: one native process holding every subscriber connection
 * (see native/fanout-receiver.c for why). Resolves once every subscriber is connected and subscribed.
 * `passMs` > 0: read each socket at most that often, so each read takes more; it adds up to `passMs`
 * to every latency.
 */
export async function startFanOutReceiver(
  port: number,
  subscribers: number,
  topic: string,
  idPrefix: string,
  passMs: number
): Promise<NativeHelper<ReceiverReport>> {
  return await NativeHelper.start<ReceiverReport>(NATIVE_PROGRAMS.fanOutReceiver, [
    String(port),
    String(subscribers),
    topic,
    idPrefix,
    String(Math.round(passMs * 1000))
  ])
}
