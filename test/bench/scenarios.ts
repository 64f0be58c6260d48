import type { BrokerLimits } from './broker-settings.js'
import type { BrokerName } from './broker-variants.js'

/** The workloads the bench knows; the load generator runs one per process. */
export type ScenarioName =
  | 'qos0-fanin'
  | 'qos0-fanin-acl'
  | 'fanout-latency'
  | 'fanout-saturation'
  | 'qos1-fanin'
  | 'durable-qos1-fanin'
  | 'idle-connections'
  | 'offline-queue-memory'
  | 'fleet-10k'
  | 'service-ingest'

export interface FanInScenario {
  kind: 'fan-in'
  publishers: number
  qos: 0 | 1
  /** QoS 1 only: unacknowledged PUBLISHes each publisher may have outstanding. */
  window: number
  /**
   * The subscriber keeps its session (3.1.1 clean=false, a fixed client id), so a durable broker
   * must store every message for it before acknowledging the publisher.
   */
  persistentSubscriber: boolean
}

export interface FanOutScenario {
  kind: 'fan-out'
  subscribers: number
  /** PUBLISHes per second from the one publisher; deliveries offered = rate × subscribers. */
  rate: number
  /**
   * The native receiver reads each socket at most this often (see native/fanout-receiver.c):
   * 0 where latency is the headline; where deliveries/s is, enough to keep the generator's core
   * under its limit, at the price of up to this much added to the latencies reported.
   */
  receiverPassMs: number
}

export interface IdleScenario {
  kind: 'idle'
  connections: number
}

/**
 * Persistent sessions that subscribed at QoS 1 and went away, then `messagesPerSession` QoS 1
 * messages for each, all acknowledged: what the broker pays in memory and disk to hold the queues.
 */
export interface OfflineQueueScenario {
  kind: 'offline-queue'
  sessions: number
  messagesPerSession: number
  publishers: number
  /** Unacknowledged PUBLISHes each publisher may have outstanding. */
  window: number
}

/** The device simulator (devices/simulator.ts) with a whole fleet, each device its own connection, in the generator's process. */
export interface FleetScenario {
  kind: 'fleet'
  devices: number
  sites: number
  /** Seconds between each device's readings. */
  interval: number
}

/**
 * The whole ingest path: thermopost JSON readings (QoS 1) from `devices` devices over `publishers`
 * connections → the broker → the service (startService on SQLite, its own process) → stored. Closed
 * loop: at most `outstanding` readings published and not yet stored, so the pipeline runs as fast as
 * it stores and the broker's queue for the service stays bounded.
 */
export interface ServiceIngestScenario {
  kind: 'service-ingest'
  devices: number
  publishers: number
  outstanding: number
}

/** The figure the scenario exists for; the report marks it. */
export type Headline = 'deliveries' | 'latency' | 'rss' | 'queued-rss' | 'stored'

export type Scenario = {
  name: ScenarioName
  headline: Headline
  /** The broker variants it runs against, in report order; the first is compared to each other peer's better variant. */
  brokers: readonly BrokerName[]
  /** Runs in the first `maxRounds` rounds only, however many --rounds asks for (a slow one-off measurement). */
  maxRounds?: number
  /** Time the load generator may take beyond warm-up and window before it is killed (default 90 s). */
  setupAllowanceMs?: number
  /** The brokers' in-flight window and queue length; without it, each broker's own in-flight default and the bench's queue limit (see brokers.ts). */
  limits?: BrokerLimits
  /** The text of an ACL file the broker starts with (thermopost variants only); without it, none. */
  acl?: string
} & (FanInScenario | FanOutScenario | IdleScenario | OfflineQueueScenario | FleetScenario | ServiceIngestScenario)

export const PAYLOAD_BYTES = 64

/** Each peer both ways where Nagle's algorithm is a choice (see broker-variants.ts). */
const COMPARED: readonly BrokerName[] = ['thermopost', 'mosquitto', 'mosquitto-nodelay', 'aedes', 'aedes-nodelay']
/** The durable store against the same broker without one, and against Mosquitto's (unsynced) persistence. */
const DURABLE: readonly BrokerName[] = ['thermopost', 'mosquitto-persist', 'mosquitto-persist-nodelay', 'thermopost-memory']
/** No traffic, so nothing for Nagle's algorithm to change: each peer once, as its users run it. */
const AT_REST: readonly BrokerName[] = ['thermopost', 'mosquitto', 'aedes']

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'qos0-fanin',
    headline: 'deliveries',
    brokers: COMPARED,
    kind: 'fan-in',
    publishers: 20,
    qos: 0,
    window: 0,
    persistentSubscriber: false
  },
  // qos0-fanin again with an ACL file whose deny rule overlaps the subscriber's bench/#: the subscription is
  // granted and every delivery checked (cached per topic and subscriber); against qos0-fanin, what that costs.
  {
    name: 'qos0-fanin-acl',
    headline: 'deliveries',
    brokers: ['thermopost'],
    acl: 'topic readwrite bench/#\ntopic deny bench/denied\n',
    kind: 'fan-in',
    publishers: 20,
    qos: 0,
    window: 0,
    persistentSubscriber: false
  },
  { name: 'fanout-latency', headline: 'latency', brokers: COMPARED, kind: 'fan-out', subscribers: 200, rate: 200, receiverPassMs: 0 },
  {
    name: 'fanout-saturation',
    headline: 'deliveries',
    brokers: COMPARED,
    kind: 'fan-out',
    subscribers: 200,
    rate: 2000,
    receiverPassMs: 1
  },
  {
    name: 'qos1-fanin',
    headline: 'deliveries',
    brokers: COMPARED,
    kind: 'fan-in',
    publishers: 20,
    qos: 1,
    window: 64,
    persistentSubscriber: false
  },
  {
    name: 'durable-qos1-fanin',
    headline: 'deliveries',
    brokers: DURABLE,
    kind: 'fan-in',
    publishers: 20,
    qos: 1,
    window: 64,
    persistentSubscriber: true
  },
  { name: 'idle-connections', headline: 'rss', brokers: AT_REST, kind: 'idle', connections: 5000 },
  {
    name: 'offline-queue-memory',
    headline: 'queued-rss',
    // Memory held by queues is measured at rest, where Nagle's algorithm changes nothing; the rate of storing
    // is not (PUBACKs back to the publishers), so Mosquitto runs both ways, as in durable-qos1-fanin.
    brokers: ['thermopost', 'mosquitto-persist', 'mosquitto-persist-nodelay'],
    // 1 000 000 messages to publish and store: a minute or more per broker. One run's rate of storing moved by up to a
    // third from the next one's (the broker's and Mosquitto's alike), so the median of three interleaved rounds counts.
    maxRounds: 3,
    setupAllowanceMs: 15 * 60_000,
    kind: 'offline-queue',
    sessions: 1000,
    messagesPerSession: 1000,
    publishers: 8,
    window: 64
  },
  // 10 000 connections to open and one reading interval to settle before the window: one round is enough.
  { name: 'fleet-10k', headline: 'rss', brokers: ['thermopost'], maxRounds: 1, kind: 'fleet', devices: 10_000, sites: 10, interval: 5 },
  // The limits `thermopost start` gives the broker that feeds the service (bin/start/part-specs.ts):
  // the service acknowledges only once a batch is stored, so the in-flight window caps what it can have in hand.
  // Two windows outstanding keep a window queued at the broker while the service stores the one it holds.
  {
    name: 'service-ingest',
    headline: 'stored',
    // The durable store against Mosquitto writing to disk, and each in memory only.
    brokers: ['thermopost', 'mosquitto-persist', 'mosquitto-persist-nodelay', 'thermopost-memory', 'mosquitto', 'mosquitto-nodelay'],
    limits: { maxInflight: 1000, maxQueuedMessages: 500_000 },
    kind: 'service-ingest',
    devices: 1000,
    publishers: 10,
    outstanding: 2000
  }
]

export function scenarioNamed(name: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name)
  if (!scenario) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`)
  return scenario
}

/** The scenario's brokers that --brokers `selected`, in the scenario's order. */
export function brokersFor(scenario: Scenario, selected: readonly BrokerName[]): BrokerName[] {
  return scenario.brokers.filter((broker) => selected.includes(broker))
}

/** How many rounds `scenario` takes part in when the bench runs `rounds`. */
export function roundsOf(scenario: Scenario, rounds: number): number {
  return Math.min(rounds, scenario.maxRounds ?? rounds)
}
