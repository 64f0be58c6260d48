import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import { REPOSITORY_ROOT } from '../architecture/source-tree.js'
import { startAdminCliBroker } from '../helpers/admin-cli-broker.js'
import { type MetricFamily, parsePrometheusText } from '../helpers/prometheus-text.js'
import { startRedisServer } from '../helpers/redis-server.js'
import { startServiceProcess } from '../service/core/service-process.js'

const DASHBOARD = join(REPOSITORY_ROOT, 'dashboard', 'grafana', 'thermopost.json')

interface Panel {
  id: number
  type: string
  title: string
  gridPos: { x: number; y: number; w: number; h: number }
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
function seriesNames(families: Iterable<MetricFamily>): Set<string> {
  return new Set(
    [...families].flatMap(({ name, type }) =>
      type === 'histogram' || type === 'summary' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]
    )
  )
}

/**
 * What a real broker and service export on /metrics, parsed strictly (every family with HELP and TYPE): a broker that
 * is a cluster node on a real redis-server (so its cluster metrics are there; its bridge metrics are there with no
 * bridge) with its admin listener, and `thermopost service` connected to it.
 */
async function exportedFamilies(t: TestContext): Promise<MetricFamily[]> {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const broker = await startAdminCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--cluster', redis.url, '--node-id', 'grafana'])
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-grafana-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const service = await startServiceProcess(t, ['--url', broker.mqttUrl, '--data-dir', dir])
  const response = await fetch(`${service.url}/metrics`)
  assert.equal(response.status, 200)
  const serviceFamilies = parsePrometheusText(await response.text())
  return [...(await broker.scrape()).values(), ...serviceFamilies.values()]
}

function panelsOf(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...panelsOf(panel.panels ?? [])])
}

test('the Grafana dashboard parses, every expression names only metrics a real broker and service export, and every one of ours has a panel', async (t) => {
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
  const families = await exportedFamilies(t)
  const exported = seriesNames(families)
  const panels = panelsOf(dashboard.panels)
  assert.equal(new Set(panels.map((panel) => panel.id)).size, panels.length, 'panel ids are unique')
  for (const [index, panel] of panels.entries()) {
    const { x, y, w, h } = panel.gridPos
    assert.ok(x >= 0 && w > 0 && h > 0 && x + w <= 24, `${panel.title} fits Grafana's 24 columns`)
    for (const other of panels.slice(index + 1)) {
      const o = other.gridPos
      assert.ok(x + w <= o.x || o.x + o.w <= x || y + h <= o.y || o.y + o.h <= y, `${panel.title} overlaps ${other.title}`)
    }
  }
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
  // Both parts are on the dashboard: each of the service's and the broker's own families has a panel.
  for (const name of families.map((family) => family.name).filter((name) => name.startsWith('thermopost_')))
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
