import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CrashScenario, describe } from './crash-cycle.js'

// SIGKILL at a random moment while a publisher keeps QoS 1 / QoS 2 messages in flight; after each
// restart every acknowledged message must reach the persistent subscribers. The seed is printed so a
// failing run can be repeated: CRASH_SEED=<seed> npm test -- crash.test
const CYCLES = 20

test(`${CYCLES} SIGKILL cycles: every acknowledged message is delivered, QoS 2 exactly once`, async (t) => {
  const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.diagnostic(`seed ${seed}`)
  const scenario = await CrashScenario.create({ seed, log: (line) => t.diagnostic(line) })
  t.after(() => scenario.close())

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const report = await scenario.runCycle(cycle)
    const context = `seed ${seed}, ${describe(report)}\nbroker output:\n${scenario.brokerOutput()}`
    assert.deepEqual(report.lost, [], `acknowledged messages lost; ${context}`)
    assert.deepEqual(report.duplicates, [], `QoS 2 messages delivered twice; ${context}`)
    assert.deepEqual(report.problems, [], context)
  }
  const { cycles, published, acknowledged, lost, duplicates } = scenario.totals
  t.diagnostic(`summary: cycles ${cycles}, published ${published}, acknowledged ${acknowledged}, lost ${lost}, duplicates ${duplicates}`)
  // A run where the kill always came before the first acknowledgement would prove nothing.
  assert.ok(acknowledged > 0, 'no message was acknowledged in any cycle')
})
