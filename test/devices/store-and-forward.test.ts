import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { startBroker } from '../helpers/broker.js'
import { sleep } from '../helpers/silence.js'
import { CuttableProxy } from './helpers/cuttable-proxy.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** Store-and-forward: readings taken while the link is down are kept and sent later with their own times. */

const READING = deviceTopic('home', 'room-1', 'reading')
const INTERVAL_MS = 100

test('an outage leaves no gap: readings taken meanwhile arrive after reconnecting, with their original times', async (t) => {
  const broker = await startBroker()
  const proxy = await CuttableProxy.start(t, broker.port)
  const observer = await watch(t, broker.url, [READING])
  const thermostat = startThermostat(t, { urls: [proxy.url], interval: INTERVAL_MS / 1000 })
  t.after(() => broker.close())
  await waitFor(() => observer.inbox.all.length >= 5, 'readings before the outage')

  proxy.cutLink()
  const cutAt = Date.now()
  await sleep(1000)
  assert.ok(thermostat.link.buffer.length >= 5, `readings wait in the buffer: ${thermostat.link.buffer.length}`)
  const arrivedBefore = observer.inbox.all.length
  proxy.restoreLink()
  const restoredAt = Date.now()
  await waitFor(
    () => observer.inbox.all.some((m) => decodeReading(m.payload).time > restoredAt + 3 * INTERVAL_MS),
    'readings after the outage'
  )

  // At least once: a reading in flight at the cut may arrive twice; its time identifies it.
  const times = [...new Set(observer.inbox.all.map((m) => decodeReading(m.payload).time))]
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!
    assert.ok(gap > 0, `readings arrive in order: ${times[i - 1]} then ${times[i]}`)
    assert.ok(gap <= 2 * INTERVAL_MS, `no gap in the series: ${gap} ms between readings ${i - 1} and ${i}`)
  }
  const duringOutage = times.filter((time) => time > cutAt + INTERVAL_MS && time < restoredAt)
  assert.ok(duringOutage.length >= 7, `about 10 readings taken during the 1 s outage, got ${duringOutage.length}`)
  const lateArrivals = observer.inbox.all.slice(arrivedBefore).map((m) => decodeReading(m.payload).time)
  for (const time of duringOutage) assert.ok(lateArrivals.includes(time), `reading ${time - cutAt} ms into the outage arrived after it`)
  assert.equal(thermostat.link.counters.readingsDropped, 0)
})

test('the buffer is bounded: the oldest readings go first, and are counted', async (t) => {
  const broker = await startBroker()
  const proxy = await CuttableProxy.start(t, broker.port)
  const observer = await watch(t, broker.url, [READING])
  const thermostat = startThermostat(t, { urls: [proxy.url], interval: 0.05, bufferLimit: 5 })
  t.after(() => broker.close())
  await waitFor(() => observer.inbox.all.length >= 2, 'readings before the outage')
  proxy.cutLink()
  await sleep(600)
  const dropped = thermostat.link.counters.readingsDropped
  assert.ok(dropped >= 3, `readings beyond the 5 kept were dropped and counted: ${dropped}`)
  assert.equal(thermostat.link.buffer.length, 5)
  const restoredAt = Date.now()
  proxy.restoreLink()
  await waitFor(() => observer.inbox.all.some((m) => decodeReading(m.payload).time > restoredAt), 'readings after the outage')
  const kept = observer.inbox.all.map((m) => decodeReading(m.payload).time).filter((time) => time < restoredAt)
  assert.ok(kept.at(-1)! > restoredAt - 150, 'the newest readings were kept, not the oldest')
})
