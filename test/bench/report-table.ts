import type { GeneratorKind } from './generator-protocol.js'
import { type BrokerSummary, GENERATOR_CPU_LIMIT_PERCENT, METRICS, type MetricKey, type ScenarioSummary } from './summary.js'

/**
 * The results as markdown tables, the form the README carries: medians per broker, then ratios,
 * one ratio table per set of brokers compared (scenarios name their own brokers).
 */
export function renderMarkdown(summaries: readonly ScenarioSummary[], rounds: number): string {
  const fewer = summaries.filter((summary) => summary.rounds < rounds).map((summary) => `${summary.scenario} ${summary.rounds}`)
  const metrics = METRICS.filter((metric) => summaries.some((summary) => summary.metrics.includes(metric.key)))
  const lines = [
    `Medians over ${rounds} interleaved round${rounds === 1 ? '' : 's'}${fewer.length > 0 ? ` (${fewer.join(', ')})` : ''}; each broker pinned to the same single core, the load generator to another.`,
    '',
    row(['scenario', 'broker', ...metrics.map((metric) => metric.label), 'generator CPU % (median / max)', 'runs']),
    row(Array(metrics.length + 4).fill('---'))
  ]
  for (const summary of summaries) {
    for (const broker of summary.brokers) {
      lines.push(
        row([
          summary.scenario,
          isComparedVariant(summary, broker.broker) ? `${broker.broker} ◀` : broker.broker,
          ...metrics.map((metric) =>
            summary.metrics.includes(metric.key)
              ? emphasize(summary, metric.key, formatMetric(metric.key, broker.medians[metric.key]))
              : '–'
          ),
          `${formatNumber(broker.generatorCpuPercent.median, 0)} / ${formatNumber(broker.generatorCpuPercent.max, 0)}`,
          runsCell(broker)
        ])
      )
    }
  }
  const groups = comparisonGroups(summaries)
  if (groups.length > 0) {
    lines.push(
      '',
      `Ratios: median of the per-round ratios (↑ higher is better, ↓ lower is better); the scenario's headline in bold. Where a peer ran both with Nagle's algorithm (its default) and without (-nodelay), each ratio is against its variant with the better median of that metric, named in brackets; the one with the better headline is marked ◀ above.`
    )
  }
  for (const group of groups) lines.push('', ...ratioTable(group))
  lines.push(
    '',
    `⚠ n/N: in n of N rounds the generator's core was above ${GENERATOR_CPU_LIMIT_PERCENT} % busy, so those runs are invalid and left out of the medians and ratios. ✗ n/N: n runs failed or had problems (see the log).`,
    ...generatorNotes(summaries),
    'Where a broker cannot keep up (the fan-in scenarios, and fanout-saturation for most), latency is mostly time spent queued in socket buffers and broker queues filled since the warm-up: it shows that a backlog exists, not how fast the broker is.'
  )
  return lines.join('\n')
}

const GENERATOR_NAMES: Record<GeneratorKind, string> = {
  native: 'the native generator (native/load-generator.c, and native/fanout-receiver.c for fan-out)',
  node: 'the Node generator, which the native one does not replace yet'
}

/** Which load generator each scenario's runs used, one line per generator. */
function generatorNotes(summaries: readonly ScenarioSummary[]): string[] {
  return (Object.keys(GENERATOR_NAMES) as GeneratorKind[]).flatMap((kind) => {
    const scenarios = summaries.filter((summary) => summary.generators.includes(kind)).map((summary) => summary.scenario)
    return scenarios.length === 0 ? [] : [`Load from ${GENERATOR_NAMES[kind]}: ${scenarios.join(', ')}.`]
  })
}

/** Scenarios that compare the same brokers, in order of first appearance; a table each. */
function comparisonGroups(summaries: readonly ScenarioSummary[]): ScenarioSummary[][] {
  const groups = new Map<string, ScenarioSummary[]>()
  for (const summary of summaries) {
    if (summary.ratios.length === 0) continue
    const key = comparisonHeads(summary).join('|')
    groups.set(key, [...(groups.get(key) ?? []), summary])
  }
  return [...groups.values()]
}

function comparisonHeads(summary: ScenarioSummary): string[] {
  return summary.ratios.map(({ of, peer }) => `${of} ÷ ${peer}`)
}

function ratioTable(group: readonly ScenarioSummary[]): string[] {
  const heads = comparisonHeads(group[0])
  const lines = [row(['scenario', 'metric', ...heads]), row(Array(heads.length + 2).fill('---'))]
  for (const summary of group) {
    for (const metric of METRICS.filter((candidate) => summary.metrics.includes(candidate.key))) {
      lines.push(
        row([
          summary.scenario,
          `${metric.label} ${metric.higherIsBetter ? '↑' : '↓'}`,
          ...summary.ratios.map(({ toByMetric, variants, ratios }) =>
            emphasize(summary, metric.key, `${formatRatio(ratios[metric.key])}${variants > 1 ? ` (${toByMetric[metric.key]})` : ''}`)
          )
        ])
      )
    }
  }
  return lines
}

/** `broker` is the variant the headline's ratio uses for its peer, chosen from more than one. */
function isComparedVariant(summary: ScenarioSummary, broker: string): boolean {
  return summary.ratios.some(({ toByMetric, variants }) => toByMetric[summary.headlineMetrics[0]] === broker && variants > 1)
}

function runsCell(broker: BrokerSummary): string {
  const notes = [`${broker.rounds - broker.troubledRounds}/${broker.rounds} ok`]
  if (broker.invalidRounds > 0) notes.push(`⚠ ${broker.invalidRounds}/${broker.rounds}`)
  if (broker.troubledRounds > 0) notes.push(`✗ ${broker.troubledRounds}/${broker.rounds}`)
  return notes.join(' ')
}

function emphasize(summary: ScenarioSummary, key: MetricKey, text: string): string {
  return summary.headlineMetrics.includes(key) && text !== '–' ? `**${text}**` : text
}

export function formatMetric(key: MetricKey, value: number | null): string {
  switch (key) {
    case 'deliveriesPerSecond':
    case 'acksPerSecond':
    case 'storedPerSecond':
      return formatNumber(value, 0)
    case 'p50Ms':
    case 'p99Ms':
      return value === null || value >= 100 ? formatNumber(value, 0) : value.toPrecision(3)
    case 'brokerCpuPercent':
    case 'serviceCpuPercent':
      return formatNumber(value, 0)
    case 'brokerCpuUsPerDelivery':
    case 'brokerKernelUsPerDelivery':
      return formatNumber(value, 2)
    case 'rssPerConnectionKb':
    case 'rssMb':
    case 'rssPeakMb':
    case 'dataDirMb':
    case 'dataDirMbAfterStop':
    case 'simulatorRssMb':
    case 'serviceRssMb':
      return formatNumber(value, 1)
  }
}

function formatRatio(value: number | null): string {
  return value === null ? '–' : `${value.toPrecision(3)}×`
}

function formatNumber(value: number | null, decimals: number): string {
  return value === null ? '–' : value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`
}
