import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { type CliBroker, startCliBroker } from './cli-broker.js'
import { type MetricFamily, parsePrometheusText } from './prometheus-text.js'
import { sleep } from './silence.js'

export interface AdminCliBroker {
  cli: CliBroker
  /** mqtt://127.0.0.1:PORT of its one listener. */
  mqttUrl: string
  /** http://127.0.0.1:PORT of its admin listener. */
  adminUrl: string
  /** GET /metrics (open on loopback), parsed strictly. */
  scrape(): Promise<Map<string, MetricFamily>>
}

/**
 * `thermopost broker ARGS --admin-port 0` with one listener and a data directory of its own (for the admin token),
 * once its admin listener is up; killed and its directory removed after the test.
 */
export async function startAdminCliBroker(t: TestContext, args: string[]): Promise<AdminCliBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-admin-cli-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const cli = await startCliBroker(t, [...args, '--data-dir', dataDir, '--admin-port', '0'], 1)
  const adminLine = (): string | undefined => /admin listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(cli.output())?.[1]
  const deadline = Date.now() + 10_000
  while (adminLine() === undefined) {
    assert.ok(Date.now() < deadline, `no admin line: ${cli.output()}`)
    await sleep(20)
  }
  const adminUrl = adminLine()!
  return {
    cli,
    mqttUrl: cli.urls[0]!,
    adminUrl,
    scrape: async () => {
      const response = await fetch(`${adminUrl}/metrics`)
      assert.equal(response.status, 200)
      return parsePrometheusText(await response.text())
    }
  }
}
