import { Counter, Gauge, type Registry } from 'prom-client'

/** A metric's samples as read when scraped: each with its labels. */
export type ScrapedSamples = Iterable<readonly [labels: Record<string, string>, value: number]>

export interface ScrapedMetric {
  name: string
  help: string
  labelNames?: readonly string[]
  read: () => ScrapedSamples
}

/**
 * A counter or gauge whose values are read when scraped, not kept by prom-client: the broker counts in plain
 * numbers on its hot path, and a scrape reads them. The samples are reset first, so a label value read no more
 * (a client gone) is not exported again.
 */
export function scrapedMetric(registry: Registry, kind: 'counter' | 'gauge', { name, help, labelNames = [], read }: ScrapedMetric): void {
  const configuration = { name, help, labelNames, registers: [registry] }
  if (kind === 'counter') {
    new Counter({
      ...configuration,
      collect() {
        this.reset()
        for (const [labels, value] of read()) this.inc(labels, value)
      }
    })
  } else {
    new Gauge({
      ...configuration,
      collect() {
        this.reset()
        for (const [labels, value] of read()) this.set(labels, value)
      }
    })
  }
}

/** A counter or gauge read when scraped: one value per value of `label` (or a single one without a label). */
export function scrapedBy(
  registry: Registry,
  type: 'counter' | 'gauge',
  name: string,
  help: string,
  label: string | undefined,
  read: () => Array<[string, number]>
): void {
  scrapedMetric(registry, type, { name, help, labelNames: label === undefined ? [] : [label], read: () => withLabel(label, read()) })
}

function withLabel(label: string | undefined, values: Array<[string, number]>): Array<[Record<string, string>, number]> {
  return values.map(([value, count]) => [label === undefined ? {} : { [label]: value }, count])
}
