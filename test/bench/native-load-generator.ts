import { NATIVE_PROGRAMS } from './native-build.js'
import { NativeHelper } from './native-helper.js'
import { type FanInScenario, PAYLOAD_BYTES } from './scenarios.js'

/** The one line native/load-generator.c prints on `report`. */
export interface NativeGeneratorReport {
  /** From `reset` to `report`, by the generator's clock. */
  seconds: number
  /** In the window: PUBLISHes sent, received by the subscriber, and PUBACKs the publishers received. */
  published: number
  delivered: number
  acked: number
  p50Ms: number | null
  p99Ms: number | null
  /** Deliveries read before they were sent: the two clocks disagree. */
  negativeLatencies: number
  /** QoS 1: acknowledged messages the subscriber had still not received when the drain after the window gave up. */
  undelivered: number
  connections: number
  /** Connections the broker closed during the run, and why the last one went. */
  lost: number
  lostReason: string
}

export type NativeGenerator = NativeHelper<NativeGeneratorReport>

/**
 * Fan-in: `publishers` on bench/<n> → one subscriber on bench/#; the load starts once it resolves. With
 * `subscriberPort` the subscriber is on another broker (the remote of a bridge).
 */
export async function startNativeFanIn(port: number, scenario: FanInScenario, subscriberPort?: number): Promise<NativeGenerator> {
  return await start([
    'fan-in',
    port,
    scenario.publishers,
    scenario.qos,
    scenario.window,
    scenario.persistentSubscriber ? 1 : 0,
    PAYLOAD_BYTES,
    ...(subscriberPort === undefined ? [] : [subscriberPort])
  ])
}

/** Fan-out's publisher: `rate` QoS 0 PUBLISHes a second on `topic`. */
export async function startNativeFanOutPublisher(port: number, rate: number, topic: string): Promise<NativeGenerator> {
  return await start(['fan-out', port, rate, topic, PAYLOAD_BYTES])
}

/** `connections` clients that connect and send nothing. */
export async function startNativeIdle(port: number, connections: number): Promise<NativeGenerator> {
  return await start(['idle', port, connections])
}

async function start(args: readonly (string | number)[]): Promise<NativeGenerator> {
  return await NativeHelper.start<NativeGeneratorReport>(NATIVE_PROGRAMS.loadGenerator, args.map(String))
}

/** What a report says went wrong: lost connections, clocks that disagree, acknowledged messages never delivered. */
export function nativeProblems(report: NativeGeneratorReport): string[] {
  const problems: string[] = []
  if (report.lost > 0) problems.push(`${report.lost} of ${report.connections} connections: ${report.lostReason}`)
  if (report.negativeLatencies > 0) {
    problems.push(`${report.negativeLatencies} deliveries read before they were sent: the clocks disagree`)
  }
  if (report.undelivered > 0) problems.push(`${report.undelivered} acknowledged messages not delivered after publishing stopped`)
  return problems
}
