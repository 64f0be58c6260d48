import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { collectDefaultMetrics } from 'prom-client'
import { ServiceMetrics } from '../../service/metrics/service-metrics.js'
import { REPOSITORY_ROOT } from '../architecture/source-tree.js'
import { BROKER_METRICS } from '../helpers/broker-metric-names.js'

const DASHBOARD = join(REPOSITORY_ROOT, 'dashboard', 'grafana', 'thermopost.json')

interface Panel {
  id: number
  type: string
  title: string
  datasource?: { type: string; uid: string }
  targets?: Array<{ refId: string; expr: string; datasource?: { uid: string } }>
  panels?: Panel[]
}

/** PromQL's words that are not metric names: aggregations, functions, keywords. */
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset'])

/**
 * The metric names an expression reads: what is left once strings, label matchers, ranges, grouping clauses,
 * function calls' names, keywords and numbers are taken out.
 */
function metricNamesIn(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
  // Not a unit after a number (`5m`) nor part of a variable (`$__rate_interval`).
  return [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)]
    .filter(([, word, call]) => call === undefined && !PROMQL_WORDS.has(word!))
    .map(([, word]) => word!)
}

/** Every series name a family exports: a histogram's buckets, sum and count besides its own name. */
function seriesNames(families: Record<string, string>): Set<string> {
  return new Set(
    Object.entries(families).flatMap(([name, type]) =>
      type === 'histogram' || type === 'summary' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
    )
  )
}

/** The service's metrics as `thermopost service` exports them: its own and the process's defaults. */
async function serviceMetricTypes(): Promise<Record<string, string>> {
  const metrics = new ServiceMetrics()
  metrics.watch({ devices: { list: () => [], get: () => undefined }, alerts: { list: () => [], acknowledge: () => assert.fail() } })
  collectDefaultMetrics({ register: metrics.registry })
  const families = await metrics.registry.getMetricsAsJSON()
  return Object.fromEntries(families.map((family) => [family.name, String(family.type)]))
}

function panelsOf(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])])
}

test('the Grafana dashboard parses and every expression names only metrics the service and the broker export', async () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    uid: string
    title: string
    panels: Panel[]
    templating: { list: Array<{ name: string; type: string }> }
  }
  assert.equal(dashboard.uid, 'thermopost')
  assert.deepEqual(
    dashboard.templating.list.map(({ name, type }) => [name, type]),
    [['datasource', 'datasource']]
  )
  const exported = seriesNames({ ...(await serviceMetricTypes()), ...BROKER_METRICS })
  const panels = panelsOf(dashboard.panels)
  assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, 'panel ids are unique')
  const graphs = panels.filter((panel) => panel.type !== 'row')
  const named = new Set<string>()
  for (const panel of graphs) {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax: the data source the user picks
    assert.equal(panel.datasource?.uid, '${datasource}', panel.title)
    assert.ok((panel.targets ?? []).length > 0, `${panel.title} has a query`)
    for (const target of panel.targets ?? []) {
      const names = metricNamesIn(target.expr)
      assert.ok(names.length > 0, `${panel.title}: ${target.expr}`)
      for (const name of names) {
        assert.ok(exported.has(name), `${panel.title} reads ${name}, which neither the service nor the broker exports`)
        named.add(name)
      }
    }
  }
  // Both parts are on the dashboard: each of the service's own families and each broker metric has a panel.
  for (const name of [...Object.keys(await serviceMetricTypes()), ...Object.keys(BROKER_METRICS)].filter((name) =>
    name.startsWith('thermopost_')
  ))
    assert.ok(
      [...named].some((used) => used === name || used.startsWith(`${name}_`)),
      `no panel shows ${name}`
    )
})

test('the check finds the metric names in an expression, and only them', () => {
  assert.deepEqual(
    metricNamesIn(
      'histogram_quantile(0.95, sum by (le, route) (rate(a_seconds_bucket{job="x", route=~"/api.*"}[$__rate_interval]))) / on (job) b_total offset 5m'
    ),
    ['a_seconds_bucket', 'b_total']
  )
  assert.deepEqual(metricNamesIn('max by (state) (c) * 60'), ['c'])
})
