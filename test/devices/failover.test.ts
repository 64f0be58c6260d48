import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeAck } from '../../common/contract/ack.js'
import { encodeCommand } from '../../common/contract/command.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { commandTopic, deviceTopic } from '../../common/contract/topics.js'
import { startBroker } from '../helpers/broker.js'
import { startBrokerProcess, tempDir } from '../helpers/crash-broker.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** Failover between brokers and session resumption: what the link does when its broker goes away. */

const READING = deviceTopic('home', 'room-1', 'reading')
const STATUS = deviceTopic('home', 'room-1', 'status')
const ACK = deviceTopic('home', 'room-1', 'ack')

test('failover: when the broker in use is killed, the device carries on with the next one in its list', async (t) => {
  const first = await startBrokerProcess(t, { dataDir: tempDir(t), store: 'memory' })
  const second = await startBrokerProcess(t, { dataDir: tempDir(t), store: 'memory' })
  const onFirst = await watch(t, first.url, [READING], { clean: true })
  onFirst.client.on('error', () => {})
  const onSecond = await watch(t, second.url, [READING, STATUS, ACK])
  const thermostat = startThermostat(t, { urls: [first.url, second.url] })
  await waitFor(() => onFirst.inbox.all.length >= 3, 'readings through the first broker')
  assert.equal(onSecond.inbox.all.filter((m) => m.topic === READING).length, 0, 'nothing on the second broker yet')
  assert.equal(thermostat.link.counters.subscribes, 1)

  await first.kill('SIGKILL')
  await waitFor(() => onSecond.inbox.all.filter((m) => m.topic === READING).length >= 3, 'readings through the second broker')
  assert.equal(thermostat.link.url, second.url)
  const status = onSecond.inbox.all.find((m) => m.topic === STATUS)
  assert.equal(status?.payload.toString(), 'online', 'status online re-published on the new broker')
  // The second broker had no session for the device, so it subscribed again: a command through it is answered.
  assert.equal(thermostat.link.counters.subscribes, 2)
  await onSecond.client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), encodeCommand('after-failover', 22), { qos: 1 })
  await waitFor(() => onSecond.inbox.all.some((m) => m.topic === ACK), 'the ack through the second broker')
  assert.deepEqual(decodeAck(onSecond.inbox.all.find((m) => m.topic === ACK)!.payload), {
    id: 'after-failover',
    command: 'setpoint',
    ok: true,
    value: 22
  })
  // Readings taken around the kill were buffered, not lost: the series on the second broker starts before it.
  const times = onSecond.inbox.all.filter((m) => m.topic === READING).map((m) => decodeReading(m.payload).time)
  const lastOnFirst = Math.max(...onFirst.inbox.all.map((m) => decodeReading(m.payload).time))
  assert.ok(times[0]! - lastOnFirst <= 250, `no gap between the brokers: ${times[0]! - lastOnFirst} ms`)
})

test('resume: where the broker kept the session, the device does not subscribe again, and commands still reach it', async (t) => {
  const broker = await startBroker()
  const observer = await watch(t, broker.url, [READING, ACK])
  const thermostat = startThermostat(t, { urls: [broker.url] })
  t.after(() => broker.close())
  await waitFor(() => thermostat.link.isConnected, 'the first connection')
  assert.equal(thermostat.link.counters.subscribes, 1)
  thermostat.link.drop()
  await waitFor(() => thermostat.link.counters.connects === 2, 'the reconnection')
  assert.equal(thermostat.link.counters.subscribes, 1, 'no SUBSCRIBE: CONNACK said the session was present')
  await observer.client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), encodeCommand('resumed', 21.5), { qos: 1 })
  await waitFor(() => observer.inbox.all.some((m) => m.topic === ACK), 'the ack')
  assert.equal(decodeAck(observer.inbox.all.find((m) => m.topic === ACK)!.payload).ok, true)
})
