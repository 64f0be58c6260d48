import { NATIVE_PROGRAMS } from './native-build.js'
import { NativeHelper } from './native-helper.js'
import { type FanInScenario, type OfflineQueueScenario, PAYLOAD_BYTES } from './scenarios.js'

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

/** The line native/offline-queue.c prints on `report`, once the publishing is over. */
export interface OfflineQueueReport {
  /** From `reset`, which starts the publishing, to the last PUBACK (or to the report, if it never came). */
  seconds: number
  /** The generator's own CPU time over those seconds. */
  cpuSeconds: number
  published: number
  acked: number
  /** Sessions × messages per session: every one must be acknowledged. */
  expected: number
  /** Publisher connections, and how many of them the broker closed (and why the last one went). */
  connections: number
  lost: number
  lostReason: string
  /** No PUBACK came for a minute: the broker stalled, and the report came instead of the rest. */
  stalled: boolean
}

/** The line native/ingest.c prints on `report`: the window's readings published and acknowledged. */
export interface IngestReport {
  seconds: number
  /** The generator's own CPU time over those seconds. */
  cpuSeconds: number
  published: number
  acked: number
  connections: number
  /** Connections still open, and how many the broker closed (and why the last one went). */
  open: number
  lost: number
  lostReason: string
}

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

/**
 * Sets up the scenario's offline sessions and connects its publishers; the publishing starts on
 * `reset`, and `report` resolves once every message is acknowledged.
 */
export async function startNativeOfflineQueue(port: number, scenario: OfflineQueueScenario): Promise<NativeHelper<OfflineQueueReport>> {
  return await start([
    'offline-queue',
    port,
    scenario.sessions,
    scenario.messagesPerSession,
    scenario.publishers,
    scenario.window,
    PAYLOAD_BYTES
  ])
}

/**
 * `publishers` connections bench-devices-<n> for the devices of the file `templates` (reading-template.ts); each
 * `credit N` command publishes N more of their readings.
 */
export async function startNativeIngest(port: number, publishers: number, templates: string): Promise<NativeHelper<IngestReport>> {
  return await start<IngestReport>(['ingest', port, publishers, templates])
}

async function start<Report = NativeGeneratorReport>(args: readonly (string | number)[]): Promise<NativeHelper<Report>> {
  return await NativeHelper.start<Report>(NATIVE_PROGRAMS.loadGenerator, args.map(String))
}

/** What a report says went wrong: lost connections, clocks that disagree, acknowledged messages never delivered. */
export function nativeProblems(report: NativeGeneratorReport): string[] {
  const problems = lostConnections(report)
  if (report.negativeLatencies > 0) {
    problems.push(`${report.negativeLatencies} deliveries read before they were sent: the clocks disagree`)
  }
  if (report.undelivered > 0) problems.push(`${report.undelivered} acknowledged messages not delivered after publishing stopped`)
  return problems
}

/** What an offline-queue report says went wrong: lost connections, messages never acknowledged. */
export function offlineQueueProblems(report: OfflineQueueReport): string[] {
  const problems = lostConnections(report)
  if (report.acked < report.expected) {
    const why = report.stalled ? ': no PUBACK for a minute' : ''
    problems.push(`${report.acked} of ${report.expected} messages acknowledged${why}`)
  }
  return problems
}

/** Connections the broker closed during the run, as a problem: "3 of 8 connections: closed by the broker". */
export function lostConnections(report: Pick<NativeGeneratorReport, 'lost' | 'connections' | 'lostReason'>): string[] {
  return report.lost > 0 ? [`${report.lost} of ${report.connections} connections: ${report.lostReason}`] : []
}
