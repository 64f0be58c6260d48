import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FailoverScenario } from './failover-cycle.js'

/**
 * Three broker nodes on one Redis; the node holding a persistent subscriber is killed with SIGKILL three times
 * while a publisher on another node keeps QoS 1 and QoS 2 messages coming: the subscriber gets its session back on
 * another node each time, and every acknowledged message arrives, QoS 2 ones exactly once. (`npm run bench` runs
 * the same scenario for 20 kills and reports the time until the subscriber is back.)
 */
test('killing the node of a persistent subscriber loses no acknowledged message', { timeout: 180_000 }, async (t) => {
  const scenario = await FailoverScenario.create(Number(process.env.FAILOVER_SEED ?? 16))
  t.after(() => scenario.close())
  for (let cycle = 1; cycle <= 3; cycle++) {
    const report = await scenario.runCycle(cycle)
    assert.ok(report.acknowledged > 0, `cycle ${cycle}: the publisher got acknowledgements`)
    assert.deepEqual(report.lost, [], `cycle ${cycle}: acknowledged messages missing\n${scenario.output()}`)
    assert.deepEqual(
      report.duplicatesQos2,
      [],
      `cycle ${cycle}: QoS 2 messages delivered twice\n${scenario.describeDeliveries(report.duplicatesQos2)}\n${scenario.output()}`
    )
    assert.ok(report.backMs < 15_000, `cycle ${cycle}: the session was back after ${report.backMs} ms`)
  }
})
