import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Simulator } from '../../devices/simulator.js'
import { startBroker } from '../helpers/broker.js'
import { FAST_BACKOFF, waitFor, watch } from './helpers/device-fixture.js'

test('flaky devices drop their links now and then and come back; the steady ones never drop, and readings keep coming', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const simulator = new Simulator({
    urls: [broker.url],
    devices: 6,
    sites: 1,
    interval: 0.2,
    timeScale: 1,
    mqttVersion: 5,
    format: 'json',
    flaky: 0.5,
    homeAssistant: false,
    seed: 3,
    backoff: FAST_BACKOFF,
    flakyDropsPerMinute: 40
  })
  t.after(() => simulator.stop())
  const flaky = simulator.flakyCount
  assert.ok(flaky > 0 && flaky < 6, `a share of the fleet is flaky (seed 3 gives ${flaky} of 6)`)
  const { inbox } = await watch(t, broker.url, ['thermopost/+/+/status'])
  await simulator.start()
  await waitFor(() => simulator.counters.losses >= 2, 'two drops', 15_000)
  await waitFor(() => simulator.counters.connected === 6, 'every device connected again', 10_000)
  const offline = new Set(inbox.all.filter((message) => message.payload.toString() === 'offline').map((message) => message.topic))
  assert.ok(offline.size >= 1 && offline.size <= flaky, `wills only from flaky devices: ${[...offline].join(', ')}`)
  simulator.summary()
  await new Promise((resolve) => setTimeout(resolve, 600))
  const after = simulator.summary()
  assert.ok(after.readingsPerSecond > 0, `readings still flow after the drops: ${JSON.stringify(after)}`)
})
