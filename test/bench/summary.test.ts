import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { BrokerName } from './broker-variants.js'
import type { GeneratorResult } from './generator-protocol.js'
import { renderMarkdown } from './report-table.js'
import { scenarioNamed } from './scenarios.js'
import { type RunRecord, summarize } from './summary.js'
import { NOT_MEASURED } from './workloads/measure.js'

const QOS0_FANIN = scenarioNamed('qos0-fanin')
const FANOUT_LATENCY = scenarioNamed('fanout-latency')

function record(
  broker: BrokerName,
  round: number,
  figures: Partial<GeneratorResult>,
  scenario: RunRecord['scenario'] = 'qos0-fanin'
): RunRecord {
  const result: GeneratorResult = {
    scenario,
    seconds: 5,
    published: 0,
    deliveriesPerSecond: null,
    p50Ms: null,
    p99Ms: null,
    ...NOT_MEASURED,
    brokerCpuPercent: 100,
    generatorCpuPercent: 50,
    generator: 'native',
    dataDirMbAfterStop: null,
    problems: [],
    ...figures
  }
  return { round, scenario, broker, result, problems: [] }
}

test('ratios compare against the peer variant with the better headline, chosen per scenario', () => {
  const records = [
    record('thermopost', 1, { deliveriesPerSecond: 200 }),
    record('mosquitto', 1, { deliveriesPerSecond: 160 }),
    record('mosquitto-nodelay', 1, { deliveriesPerSecond: 80 }),
    record('thermopost', 1, { p50Ms: 1 }, 'fanout-latency'),
    record('mosquitto', 1, { p50Ms: 40 }, 'fanout-latency'),
    record('mosquitto-nodelay', 1, { p50Ms: 2 }, 'fanout-latency')
  ]
  const [fanIn, fanOut] = summarize(records, [QOS0_FANIN, FANOUT_LATENCY], ['thermopost', 'mosquitto', 'mosquitto-nodelay'], 1)
  assert.deepEqual(
    fanIn.ratios.map(({ peer, toByMetric, variants }) => ({ peer, to: toByMetric.deliveriesPerSecond, variants })),
    [{ peer: 'mosquitto', to: 'mosquitto', variants: 2 }]
  )
  assert.equal(fanIn.ratios[0].ratios.deliveriesPerSecond, 200 / 160)
  assert.equal(fanOut.ratios[0].toByMetric.p50Ms, 'mosquitto-nodelay')
  assert.equal(fanOut.ratios[0].ratios.p50Ms, 1 / 2)
  const table = renderMarkdown([fanIn, fanOut], 1)
  assert.match(table, /\| thermopost ÷ mosquitto \|/)
  assert.match(table, /\| fanout-latency \| mosquitto-nodelay ◀ \|/)
  assert.match(table, /0\.500× \(mosquitto-nodelay\)/)
})

test('within a scenario each metric is compared against the variant with the better figure for it', () => {
  const records = [
    record('thermopost', 1, { deliveriesPerSecond: 200, p50Ms: 4 }),
    record('mosquitto', 1, { deliveriesPerSecond: 160, p50Ms: 40 }),
    record('mosquitto-nodelay', 1, { deliveriesPerSecond: 80, p50Ms: 2 })
  ]
  const [fanIn] = summarize(records, [QOS0_FANIN], ['thermopost', 'mosquitto', 'mosquitto-nodelay'], 1)
  assert.equal(fanIn.ratios[0].toByMetric.deliveriesPerSecond, 'mosquitto', 'the headline (deliveries/s) is better without nodelay')
  assert.equal(fanIn.ratios[0].ratios.deliveriesPerSecond, 200 / 160)
  assert.equal(fanIn.ratios[0].toByMetric.p50Ms, 'mosquitto-nodelay')
  assert.equal(fanIn.ratios[0].ratios.p50Ms, 4 / 2, 'latency against the variant with the better latency')
  const table = renderMarkdown([fanIn], 1)
  assert.match(table, /1\.25× \(mosquitto\)/)
  assert.match(table, /p50 ms ↓ \| 2\.00× \(mosquitto-nodelay\)/)
})

test('a peer that ran one way only is compared as it is, without a variant note', () => {
  const records = [record('thermopost', 1, { deliveriesPerSecond: 200 }), record('aedes', 1, { deliveriesPerSecond: 100 })]
  const [summary] = summarize(records, [QOS0_FANIN], ['thermopost', 'aedes'], 1)
  assert.deepEqual(
    summary.ratios.map(({ peer, toByMetric, variants }) => ({ peer, to: toByMetric.deliveriesPerSecond, variants })),
    [{ peer: 'aedes', to: 'aedes', variants: 1 }]
  )
  assert.doesNotMatch(renderMarkdown([summary], 1), /◀ \||\(aedes\)/)
})

test('a run whose generator core was above 80 % is counted as invalid and left out of medians and ratios', () => {
  const records = [
    record('thermopost', 1, { deliveriesPerSecond: 100 }),
    record('mosquitto', 1, { deliveriesPerSecond: 100 }),
    record('thermopost', 2, { deliveriesPerSecond: 900, generatorCpuPercent: 95 }),
    record('mosquitto', 2, { deliveriesPerSecond: 100 }),
    record('thermopost', 3, { deliveriesPerSecond: 300 }),
    record('mosquitto', 3, { deliveriesPerSecond: 100 })
  ]
  const [summary] = summarize(records, [QOS0_FANIN], ['thermopost', 'mosquitto'], 3)
  const thermopost = summary.brokers[0]
  assert.equal(thermopost.invalidRounds, 1)
  assert.equal(thermopost.medians.deliveriesPerSecond, 200)
  assert.equal(thermopost.generatorCpuPercent.max, 95)
  assert.equal(summary.ratios[0].ratios.deliveriesPerSecond, 2)
})
