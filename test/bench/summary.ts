import { type BrokerName, peerOf } from './broker-variants.js'
import type { GeneratorKind, GeneratorResult } from './generator-protocol.js'
import { brokersFor, type Headline, roundsOf, type Scenario, type ScenarioName } from './scenarios.js'
import { median, medianRatio } from './stats.js'

/** Above this the generator's own core is the bottleneck, so the run says little about the broker. */
export const GENERATOR_CPU_LIMIT_PERCENT = 80

/** One scenario against one broker in one round. */
export interface RunRecord {
  round: number
  scenario: ScenarioName
  broker: BrokerName
  result: GeneratorResult | null
  /** Crashes, lost connections, a broker that would not stop: anything that makes the run suspect. */
  problems: string[]
}

export type MetricKey =
  | 'deliveriesPerSecond'
  | 'acksPerSecond'
  | 'p50Ms'
  | 'p99Ms'
  | 'brokerCpuPercent'
  | 'brokerCpuUsPerDelivery'
  | 'brokerKernelUsPerDelivery'
  | 'rssPerConnectionKb'
  | 'rssMb'
  | 'rssPeakMb'
  | 'dataDirMb'
  | 'dataDirMbAfterStop'
  | 'simulatorRssMb'
  | 'storedPerSecond'
  | 'serviceCpuPercent'
  | 'serviceRssMb'

export interface Metric {
  key: MetricKey
  label: string
  higherIsBetter: boolean
}

export const METRICS: readonly Metric[] = [
  { key: 'deliveriesPerSecond', label: 'deliveries/s', higherIsBetter: true },
  { key: 'acksPerSecond', label: 'PUBACKs/s', higherIsBetter: true },
  { key: 'p50Ms', label: 'p50 ms', higherIsBetter: false },
  { key: 'p99Ms', label: 'p99 ms', higherIsBetter: false },
  { key: 'brokerCpuPercent', label: 'broker CPU %', higherIsBetter: false },
  { key: 'brokerCpuUsPerDelivery', label: 'broker CPU µs/delivery', higherIsBetter: false },
  { key: 'brokerKernelUsPerDelivery', label: 'of it in the kernel, µs', higherIsBetter: false },
  { key: 'rssPerConnectionKb', label: 'RSS KB/conn', higherIsBetter: false },
  { key: 'rssMb', label: 'RSS MB', higherIsBetter: false },
  { key: 'rssPeakMb', label: 'peak RSS MB', higherIsBetter: false },
  { key: 'dataDirMb', label: 'disk MB', higherIsBetter: false },
  { key: 'dataDirMbAfterStop', label: 'disk MB after exit', higherIsBetter: false },
  { key: 'simulatorRssMb', label: 'simulator RSS MB', higherIsBetter: false },
  { key: 'storedPerSecond', label: 'stored/s', higherIsBetter: true },
  { key: 'serviceCpuPercent', label: 'service CPU %', higherIsBetter: false },
  { key: 'serviceRssMb', label: 'service RSS MB', higherIsBetter: false }
]

const HEADLINE_METRICS: Record<Headline, readonly MetricKey[]> = {
  deliveries: ['deliveriesPerSecond'],
  latency: ['p50Ms', 'p99Ms'],
  rss: ['rssPerConnectionKb'],
  'queued-rss': ['rssMb'],
  stored: ['storedPerSecond']
}

/** The figures a scenario's runs produce; the others are null in its results. */
function metricsOf(scenario: Scenario): MetricKey[] {
  switch (scenario.kind) {
    case 'fan-in':
      return ['deliveriesPerSecond', ...(scenario.qos === 1 ? ['acksPerSecond' as const] : []), 'p50Ms', 'p99Ms', 'brokerCpuPercent']
    case 'fan-out':
      return ['deliveriesPerSecond', 'p50Ms', 'p99Ms', 'brokerCpuPercent', 'brokerCpuUsPerDelivery', 'brokerKernelUsPerDelivery']
    case 'idle':
      return ['brokerCpuPercent', 'rssPerConnectionKb']
    case 'offline-queue':
      return ['acksPerSecond', 'brokerCpuPercent', 'rssMb', 'rssPeakMb', 'dataDirMb', 'dataDirMbAfterStop']
    case 'fleet':
      return ['acksPerSecond', 'brokerCpuPercent', 'rssPerConnectionKb', 'rssMb', 'simulatorRssMb']
    case 'service-ingest':
      return ['storedPerSecond', 'p50Ms', 'p99Ms', 'brokerCpuPercent', 'rssMb', 'serviceCpuPercent', 'serviceRssMb']
  }
}

export interface BrokerSummary {
  broker: BrokerName
  /** Median over the rounds that produced a valid result (generator core within its limit). */
  medians: Record<MetricKey, number | null>
  generatorCpuPercent: { median: number | null; max: number | null }
  /** Rounds whose generator core was above GENERATOR_CPU_LIMIT_PERCENT: left out of medians and ratios. */
  invalidRounds: number
  /** Rounds with no result, or with problems. */
  troubledRounds: number
  rounds: number
}

export interface ScenarioSummary {
  scenario: ScenarioName
  /** Rounds the scenario took part in (see `Scenario.maxRounds`). */
  rounds: number
  metrics: MetricKey[]
  /** The load generators its runs used (see GeneratorKind), in order of first use. */
  generators: GeneratorKind[]
  headlineMetrics: readonly MetricKey[]
  brokers: BrokerSummary[]
  /**
   * The first broker's ratio to each other peer: median of per-round ratios, each metric against the peer's variant
   * with the better median of that metric (`toByMetric`), as the rules ask (a peer is compared at its better figure);
   * `variants` says how many they were chosen from.
   */
  ratios: {
    of: BrokerName
    peer: string
    toByMetric: Record<MetricKey, BrokerName>
    variants: number
    ratios: Record<MetricKey, number | null>
  }[]
}

/** `selected`: the brokers --brokers allows; each scenario runs against those of its own that are selected. */
export function summarize(
  records: readonly RunRecord[],
  scenarios: readonly Scenario[],
  selected: readonly BrokerName[],
  benchRounds: number
): ScenarioSummary[] {
  return scenarios.map((scenario) => {
    const metrics = metricsOf(scenario)
    const brokers = brokersFor(scenario, selected)
    const rounds = roundsOf(scenario, benchRounds)
    /** Per broker, one entry per round (null when that round produced no result). */
    const perRound = new Map(
      brokers.map((broker) => [
        broker,
        Array.from({ length: rounds }, (_, round) =>
          records.find((record) => record.scenario === scenario.name && record.broker === broker && record.round === round + 1)
        )
      ])
    )
    const series = (broker: BrokerName, key: MetricKey): (number | null)[] =>
      (perRound.get(broker) ?? []).map((record) => (record?.result && isValid(record.result) ? record.result[key] : null))
    const medianOf = (broker: BrokerName, key: MetricKey): number | null => median(present(series(broker, key)))
    const headline = HEADLINE_METRICS[scenario.headline]
    const [first, ...others] = brokers
    return {
      scenario: scenario.name,
      rounds,
      metrics,
      generators: [...new Set([...perRound.values()].flat().flatMap((record) => (record?.result ? [record.result.generator] : [])))],
      headlineMetrics: headline,
      brokers: brokers.map((broker) => {
        const runs = perRound.get(broker) ?? []
        const generatorCpu = runs.flatMap((record) => (record?.result ? [record.result.generatorCpuPercent] : []))
        return {
          broker,
          medians: byMetric(metrics, (key) => medianOf(broker, key)),
          generatorCpuPercent: { median: median(generatorCpu), max: generatorCpu.length === 0 ? null : Math.max(...generatorCpu) },
          invalidRounds: generatorCpu.filter((percent) => percent > GENERATOR_CPU_LIMIT_PERCENT).length,
          troubledRounds: runs.filter((record) => !record?.result || record.problems.length > 0).length,
          rounds: runs.length
        }
      }),
      ratios: peersOf(others, first).map(([peer, variants]) => {
        const toByMetric = Object.fromEntries(
          metrics.map((key) => [key, betterVariant(variants, key, (broker) => medianOf(broker, key))])
        ) as Record<MetricKey, BrokerName>
        return {
          of: first,
          peer,
          toByMetric,
          variants: variants.length,
          ratios: byMetric(metrics, (key) => medianRatio(series(first, key), series(toByMetric[key], key)))
        }
      })
    }
  })
}

function isValid(result: GeneratorResult): boolean {
  return result.generatorCpuPercent <= GENERATOR_CPU_LIMIT_PERCENT
}

/** `brokers` grouped by peer, in order of first appearance, leaving out `first`'s own peer. */
function peersOf(brokers: readonly BrokerName[], first: BrokerName): [string, BrokerName[]][] {
  const peers = new Map<string, BrokerName[]>()
  for (const broker of brokers) {
    const peer = peerOf(broker)
    if (peer !== peerOf(first)) peers.set(peer, [...(peers.get(peer) ?? []), broker])
  }
  return [...peers]
}

/** The variant with the better median `key`; one without any valid run loses, and a tie goes to the first listed. */
function betterVariant(variants: readonly BrokerName[], key: MetricKey, medianOf: (broker: BrokerName) => number | null): BrokerName {
  const higherIsBetter = METRICS.find((metric) => metric.key === key)?.higherIsBetter ?? true
  let best = variants[0]
  for (const variant of variants.slice(1)) {
    const value = medianOf(variant)
    const bestValue = medianOf(best)
    if (value === null) continue
    if (bestValue === null || (higherIsBetter ? value > bestValue : value < bestValue)) best = variant
  }
  return best
}

function byMetric(keys: readonly MetricKey[], value: (key: MetricKey) => number | null): Record<MetricKey, number | null> {
  const values = Object.fromEntries(METRICS.map((metric) => [metric.key, null])) as Record<MetricKey, number | null>
  for (const key of keys) values[key] = value(key)
  return values
}

function present(values: readonly (number | null)[]): number[] {
  return values.filter((value): value is number => value !== null)
}
