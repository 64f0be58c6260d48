/**
 * Prometheus's text exposition format (version 0.0.4) read strictly, for tests of what we export: every
 * sample must belong to a family announced by both `# HELP` and `# TYPE`, and every value must be a number.
 */

export interface Sample {
  /** The sample's own name: a histogram's `_bucket`, `_sum` and `_count` lines belong to its family. */
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'
  samples: Sample[]
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g

/** The families in order, by name; throws on a line it cannot read or a sample without HELP and TYPE. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>()
  const partial = new Map<string, { help?: string; type?: string }>()
  for (const [index, line] of text.split('\n').entries()) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string]
      const entry = partial.get(name) ?? {}
      if (kind === 'HELP') entry.help = rest
      else if (TYPES.has(rest)) entry.type = rest
      else throw new Error(`line ${index + 1}: unknown type ${rest}`)
      partial.set(name, entry)
      if (entry.help !== undefined && entry.type !== undefined)
        families.set(name, { name, help: entry.help, type: entry.type as MetricFamily['type'], samples: [] })
      continue
    }
    if (line.startsWith('#')) continue
    const sample = SAMPLE.exec(line)
    if (sample === null) throw new Error(`line ${index + 1} is not a sample: ${line}`)
    const [, name, labelText = '', valueText] = sample as unknown as [string, string, string | undefined, string]
    const family = familyOf(families, name)
    if (family === undefined) throw new Error(`line ${index + 1}: ${name} has no # HELP and # TYPE before it`)
    // Go's ParseFloat, which Prometheus reads with, takes NaN and Inf in any case: prom-client writes "Nan" (an
    // event-loop lag before its first sample).
    const special = valueText.toLowerCase()
    const value =
      special === 'nan'
        ? Number.NaN
        : special === '+inf' || special === 'inf'
          ? Infinity
          : special === '-inf'
            ? -Infinity
            : Number(valueText)
    if (Number.isNaN(value) && special !== 'nan') throw new Error(`line ${index + 1}: ${valueText} is not a number`)
    const labels: Record<string, string> = {}
    for (const [, key, raw] of labelText.matchAll(LABEL))
      labels[key!] = raw!.replace(/\\(.)/g, (_all, char: string) => (char === 'n' ? '\n' : char))
    family.samples.push({ name, labels, value })
  }
  return families
}

function familyOf(families: Map<string, MetricFamily>, sample: string): MetricFamily | undefined {
  const own = families.get(sample)
  if (own !== undefined) return own
  const base = /^(.*)_(bucket|sum|count)$/.exec(sample)?.[1]
  const family = base === undefined ? undefined : families.get(base)
  return family?.type === 'histogram' || family?.type === 'summary' ? family : undefined
}

/** The value of the one sample of `family` with these labels (among others); throws when there is none. */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  const value = counted(families, name, labels)
  if (value === undefined) throw new Error(`no sample ${name} ${JSON.stringify(labels)}`)
  return value
}

/**
 * As `sampleValue`, but 0 when there is no such sample: a counter by reason exports a reason only once counted. The
 * family itself must be there.
 */
export function countedValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  if (familyOf(families, name) === undefined) throw new Error(`no metric family of ${name}`)
  return counted(families, name, labels) ?? 0
}

function counted(families: Map<string, MetricFamily>, name: string, labels: Record<string, string>): number | undefined {
  return familyOf(families, name)?.samples.find(
    (candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value)
  )?.value
}
