import assert from 'node:assert/strict'

/** One sample of a Prometheus text exposition: `name{label="value",...} number`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface Exposition {
  help: Map<string, string>
  types: Map<string, string>
  samples: Sample[]
}

/**
 * Parses the Prometheus text format (version 0.0.4) strictly enough for tests: every line is a HELP, a TYPE or a
 * sample; label values may hold escaped quotes, backslashes and newlines.
 */
export function parsePrometheusText(text: string): Exposition {
  const help = new Map<string, string>()
  const types = new Map<string, string>()
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '') continue
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line)
    if (comment !== null) {
      ;(comment[1] === 'HELP' ? help : types).set(comment[2]!, comment[3]!)
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    assert.ok(sample !== null, `not a Prometheus text line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, name, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[name!] = value!.replace(/\\(.)/g, (_all, escaped: string) => (escaped === 'n' ? '\n' : escaped))
    }
    // Go's ParseFloat, which Prometheus reads with, takes NaN and Inf in any case (prom-client writes "Nan").
    const text = sample[3]!.toLowerCase()
    const value = text === 'nan' ? Number.NaN : text === '+inf' || text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text)
    assert.ok(!Number.isNaN(value) || text === 'nan', `not a number in: ${line}`)
    samples.push({ name: sample[1]!, labels, value })
  }
  return { help, types, samples }
}

/** The metric family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` belong to its name. */
export function familyOf(sample: Sample, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = sample.name.slice(0, -suffix.length)
    if (sample.name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(base) ?? '')) return base
  }
  return sample.name
}

/** The value of the sample `name` whose labels include `labels`; 0 when there is none (a counter not yet counted). */
export function sampleValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  const sample = exposition.samples.find(
    (candidate) => candidate.name === name && Object.entries(labels).every(([key, value]) => candidate.labels[key] === value)
  )
  return sample?.value ?? 0
}
