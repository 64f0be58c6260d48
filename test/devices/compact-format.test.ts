import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { startBroker } from '../helpers/broker.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** Constrained-link mode on a real connection: compact payloads, a topic alias, and the bytes counted on the wire. */

const READING = deviceTopic('home', 'room-1', 'reading')

test('compact readings over MQTT 5 take 22 bytes of PUBLISH each after the first names the topic, and decode at the other end', async (t) => {
  const broker = await startBroker()
  const observer = await watch(t, broker.url, [READING])
  const thermostat = startThermostat(t, { urls: [broker.url], format: 'compact', interval: 0.05 })
  t.after(() => broker.close())
  await waitFor(() => thermostat.link.counters.readingsAcked >= 20, '20 acknowledged readings')
  const { readingPublishes, readingPublishBytes, pubacks, pubackBytes } = thermostat.link.counters
  // The first PUBLISH carries the topic to set the alias; every later one has an empty topic.
  assert.equal(readingPublishBytes, 22 * readingPublishes + READING.length)
  assert.ok(readingPublishBytes / readingPublishes <= 24, `${readingPublishBytes / readingPublishes} bytes per reading on average`)
  assert.ok(pubacks >= 20)
  assert.equal(pubackBytes, 4 * pubacks, 'a PUBACK with reason Success and no properties is 4 bytes')
  await waitFor(() => observer.inbox.all.length >= 5, 'readings at the subscriber')
  for (const message of observer.inbox.all) {
    assert.equal(message.payload.length, 12)
    const reading = decodeReading(message.payload)
    assert.equal(reading.mode, 'heat')
    assert.equal(typeof reading.heating, 'boolean')
    assert.ok(Math.abs(reading.time - Date.now()) < 5000)
  }
})

test('compact readings over MQTT 3.1.1 have no alias and name the topic every time', async (t) => {
  const broker = await startBroker()
  const thermostat = startThermostat(t, { urls: [broker.url], format: 'compact', mqttVersion: 4, interval: 0.05 })
  t.after(() => broker.close())
  await waitFor(() => thermostat.link.counters.readingsAcked >= 5, '5 acknowledged readings')
  const { readingPublishes, readingPublishBytes } = thermostat.link.counters
  // Fixed header 2, topic 2 + name, packet id 2, payload 12.
  assert.equal(readingPublishBytes, readingPublishes * (18 + READING.length))
})
