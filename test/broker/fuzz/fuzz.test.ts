import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runFuzz, summary } from './fuzz-run.js'

// 50 000 valid, mutated and random packets over 50 connections while a well-behaved publisher and
// subscriber stay connected. The seed is printed; repeat a run with FUZZ_SEED=<seed> npm test -- fuzz.test
// (the interleaving of the connections varies, each connection's packets do not). `npm run fuzz` runs longer.
const PACKETS = 50_000

test(`${PACKETS} fuzzed packets: the broker stays up, memory bounded, the good clients undisturbed`, async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.diagnostic(`seed ${seed}`)
  const report = await runFuzz({ seed, packets: PACKETS, connections: 50, log: (line) => t.diagnostic(line) })
  t.diagnostic(summary(report))
  assert.deepEqual(report.problems, [], `seed ${seed}: ${summary(report)}`)
  // A run that never got past CONNECT, or whose good publisher sent nothing, would prove little.
  assert.ok(report.connects > 100, 'too few connections began with a valid CONNECT')
  assert.ok(report.published > 0 && report.delivered === report.published)
})
