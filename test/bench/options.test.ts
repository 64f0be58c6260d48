import assert from 'node:assert/strict'
import { test } from 'node:test'
import { peerOf } from './broker-variants.js'
import { parseOptions } from './options.js'
import { SCENARIOS } from './scenarios.js'
import { STANDALONE_BENCHES } from './standalone-benches.js'

test('without --only every broker scenario runs, service-ingest among them, and every standalone bench once', () => {
  const options = parseOptions([])
  assert.deepEqual(
    options.scenarios.map((s) => s.name),
    SCENARIOS.map((s) => s.name)
  )
  assert.ok(options.scenarios.some((s) => s.name === 'service-ingest'))
  assert.deepEqual(
    options.standalone.map((b) => b.name),
    ['history-write', 'api-query', 'dashboard-render', 'router-churn', 'cluster-crossnode', 'cluster-capacity', 'failover', 'bridge']
  )
  assert.equal(options.rounds, 5)
})

test('--only splits its names into broker scenarios and standalone benches, each in the order given', () => {
  const options = parseOptions(['--only', 'dashboard-render,service-ingest,history-write,qos0-fanin', '--rounds', '1'])
  assert.deepEqual(
    options.scenarios.map((s) => s.name),
    ['service-ingest', 'qos0-fanin']
  )
  assert.deepEqual(
    options.standalone.map((b) => b.name),
    ['dashboard-render', 'history-write']
  )
  assert.equal(options.rounds, 1)
})

test('--only with standalone benches alone runs no broker scenario', () => {
  const options = parseOptions(['--only', 'api-query'])
  assert.deepEqual(options.scenarios, [])
  assert.deepEqual(
    options.standalone,
    STANDALONE_BENCHES.filter((b) => b.name === 'api-query')
  )
})

test('--only refuses a name that is neither', () => {
  assert.throws(() => parseOptions(['--only', 'api-query,history-read']), /unknown scenario "history-read"/)
})

test('service-ingest runs with the broker limits thermopost start uses', () => {
  const scenario = SCENARIOS.find((s) => s.name === 'service-ingest')
  assert.deepEqual(scenario?.limits, { maxInflight: 1000, maxQueuedMessages: 500_000 })
  assert.deepEqual(scenario?.brokers, [
    'thermopost',
    'mosquitto-persist',
    'mosquitto-persist-nodelay',
    'thermopost-memory',
    'mosquitto',
    'mosquitto-nodelay'
  ])
})

test('--brokers takes the Nagle-off variants, and every scenario that runs a peer with traffic runs it both ways', () => {
  const options = parseOptions(['--brokers', 'thermopost,mosquitto-nodelay,aedes-nodelay,mosquitto-persist-nodelay'])
  assert.deepEqual(options.brokers, ['thermopost', 'mosquitto-nodelay', 'aedes-nodelay', 'mosquitto-persist-nodelay'])
  assert.throws(() => parseOptions(['--brokers', 'mosquitto-nagle']), /unknown broker "mosquitto-nagle"/)
  for (const scenario of SCENARIOS.filter((s) => s.kind === 'fan-in' || s.kind === 'fan-out')) {
    for (const broker of scenario.brokers.filter((b) => b.startsWith('mosquitto') || b.startsWith('aedes'))) {
      assert.ok(
        scenario.brokers.some((other) => other !== broker && peerOf(other) === peerOf(broker)),
        `${scenario.name}: ${broker} runs one way only`
      )
    }
  }
})
