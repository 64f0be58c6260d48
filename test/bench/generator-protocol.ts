import type { ScenarioName } from './scenarios.js'

/** The load generator's one argument, as JSON: which scenario to run against which broker. */
export interface GeneratorConfig {
  scenario: ScenarioName
  port: number
  /** The broker's process, whose CPU and RSS the generator reads from /proc. */
  brokerPid: number
  /** The broker's data dir for this run, whose size on disk the generator reads; null if it keeps none. */
  dataDir: string | null
  warmupMs: number
  durationMs: number
}

/**
 * native: native/load-generator.c (with native/fanout-receiver.c for fan-out's subscribers) does all
 * the connections' work; node: the Node generator, where the native one does not reach yet.
 */
export type GeneratorKind = 'native' | 'node'

/** What one load-generator run prints as its single JSON line on stdout. */
export interface GeneratorResult {
  scenario: ScenarioName
  /** Length of the measured window (after warm-up). */
  seconds: number
  /** PUBLISHes the generator sent in the window; shows whether a paced rate was reached. */
  published: number
  /** PUBLISHes received by all subscribers in the window, per second; null for the idle scenario. */
  deliveriesPerSecond: number | null
  /**
   * QoS 1 publishers: PUBACKs they received per second (in the window; for offline-queue, over the
   * whole publishing phase). With a durable store, the rate at which messages are made durable.
   */
  acksPerSecond: number | null
  p50Ms: number | null
  p99Ms: number | null
  brokerCpuPercent: number
  /**
   * Fan-out only: the broker's CPU time per delivered message, in microseconds. Every broker is offered
   * the same load there, so this compares their cost even where none is saturated.
   */
  brokerCpuUsPerDelivery: number | null
  /**
   * Fan-out only: the part of brokerCpuUsPerDelivery spent in the kernel. A delivery is a write to its subscriber's
   * socket, and on loopback the kernel's send path runs the receiver's side of TCP too, on the broker's time: the
   * floor any broker that writes each delivery on its own pays.
   */
  brokerKernelUsPerDelivery: number | null
  /** The load generator's own core (its helper processes included); above 80 % the run is invalid. */
  generatorCpuPercent: number
  /** Which load generator offered the load (see GeneratorKind). */
  generator: GeneratorKind
  /** Idle scenario only: (RSS with the connections − RSS before) / connections. */
  rssPerConnectionKb: number | null
  /**
   * Offline-queue scenario: the broker's VmRSS after the settle period, and its VmHWM (peak); fleet scenario: with
   * every device connected; service-ingest: at the end of the window.
   */
  rssMb: number | null
  rssPeakMb: number | null
  /** Offline-queue scenario only: the data dir's size on disk after the settle period, broker running. */
  dataDirMb: number | null
  /** Fleet scenario only: the simulator's (this generator's) VmRSS with every device connected. */
  simulatorRssMb: number | null
  /** Service-ingest scenario only: readings the service stored per second, and the service process's CPU (% of a core) and VmRSS at the end. */
  storedPerSecond: number | null
  serviceCpuPercent: number | null
  serviceRssMb: number | null
  /** Filled in by the runner, not the generator: the data dir's size once the broker has exited. */
  dataDirMbAfterStop: number | null
  /** Connections the broker closed or refused during the run; a healthy run has none. */
  problems: string[]
}
