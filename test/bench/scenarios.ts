/** The workloads the bench knows; the load generator runs one per process. */
export type ScenarioName = 'qos0-fanin' | 'fanout-latency' | 'fanout-saturation' | 'qos1-fanin' | 'idle-connections'

export interface FanInScenario {
  kind: 'fan-in'
  publishers: number
  qos: 0 | 1
  /** QoS 1 only: unacknowledged PUBLISHes each publisher may have outstanding. */
  window: number
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

/** The figure the scenario exists for; the report marks it. */
export type Headline = 'deliveries' | 'latency' | 'rss'

export type Scenario = { name: ScenarioName, headline: Headline } & (FanInScenario | FanOutScenario | IdleScenario)

export const PAYLOAD_BYTES = 64

export const SCENARIOS: readonly Scenario[] = [
  { name: 'qos0-fanin', headline: 'deliveries', kind: 'fan-in', publishers: 20, qos: 0, window: 0 },
  { name: 'fanout-latency', headline: 'latency', kind: 'fan-out', subscribers: 200, rate: 200, receiverPassMs: 0 },
  { name: 'fanout-saturation', headline: 'deliveries', kind: 'fan-out', subscribers: 200, rate: 2000, receiverPassMs: 1 },
  { name: 'qos1-fanin', headline: 'deliveries', kind: 'fan-in', publishers: 20, qos: 1, window: 64 },
  { name: 'idle-connections', headline: 'rss', kind: 'idle', connections: 5000 }
]

export function scenarioNamed (name: string): Scenario {
  const scenario = SCENARIOS.find((candidate) => candidate.name === name)
  if (!scenario) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`)
  return scenario
}
