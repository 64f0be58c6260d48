import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeAck } from '../../common/contract/ack.js'
import { encodeCommand } from '../../common/contract/command.js'
import { decodeMeta } from '../../common/contract/meta.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { commandTopic, deviceTopic } from '../../common/contract/topics.js'
import { startBroker } from '../helpers/broker.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** A thermostat's commands over a real broker: acks, refusals, the MQTT 5 response-topic path, bare values. */

const ACK = deviceTopic('home', 'room-1', 'ack')
const READING = deviceTopic('home', 'room-1', 'reading')

async function setup(t: import('node:test').TestContext, mqttVersion: 4 | 5 = 5) {
  const broker = await startBroker()
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, [ACK, READING])
  const thermostat = startThermostat(t, { urls: [broker.url], mqttVersion, initial: { temperature: 19, setpoint: 20 } })
  await waitFor(() => thermostat.link.isConnected, 'the thermostat to connect')
  // A reading through the broker shows the command subscription is in place too (it went first).
  await waitFor(() => observer.inbox.all.some((m) => m.topic === READING), 'a first reading')
  return { broker, thermostat, ...observer }
}

/** Waits for a reading that shows `setpoint` and returns it. */
async function readingWithSetpoint(inbox: import('../helpers/mqtt-inbox.js').Inbox, setpoint: number) {
  await waitFor(
    () => inbox.all.some((m) => m.topic === READING && decodeReading(m.payload).setpoint === setpoint),
    `a reading with setpoint ${setpoint}`
  )
}

for (const mqttVersion of [5, 4] as const) {
  test(`MQTT ${mqttVersion === 5 ? '5' : '3.1.1'}: a setpoint command is acked with its id and applied to the readings`, async (t) => {
    const { client, inbox, thermostat } = await setup(t, mqttVersion)
    await client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), encodeCommand('c-1', 23.5), { qos: 1 })
    await waitFor(() => inbox.all.some((m) => m.topic === ACK), 'the ack')
    const ack = decodeAck(inbox.all.find((m) => m.topic === ACK)!.payload)
    assert.deepEqual(ack, { id: 'c-1', command: 'setpoint', ok: true, value: 23.5 })
    assert.equal(thermostat.model.setpoint, 23.5)
    await readingWithSetpoint(inbox, 23.5)
  })
}

test('an out-of-range setpoint is refused with a reason, and the old one stays', async (t) => {
  const { client, inbox, thermostat } = await setup(t)
  for (const [id, value] of [
    ['low', 4.5],
    ['high', 40]
  ] as const) {
    await client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), encodeCommand(id, value), { qos: 1 })
  }
  await waitFor(() => inbox.all.filter((m) => m.topic === ACK).length === 2, 'two acks')
  const acks = inbox.all.filter((m) => m.topic === ACK).map((m) => decodeAck(m.payload))
  assert.deepEqual(acks, [
    { id: 'low', command: 'setpoint', ok: false, reason: 'setpoint 4.5 °C is outside 5–35 °C' },
    { id: 'high', command: 'setpoint', ok: false, reason: 'setpoint 40 °C is outside 5–35 °C' }
  ])
  assert.equal(thermostat.model.setpoint, 20)
  const last = inbox.all.filter((m) => m.topic === READING).at(-1)!
  assert.equal(decodeReading(last.payload).setpoint, 20)
})

test('MQTT 5: a command with a Response Topic is answered there with its Correlation Data, not on the ack topic', async (t) => {
  const { client, inbox } = await setup(t)
  await client.subscribeAsync('replies/service-1', { qos: 1 })
  const correlationData = Buffer.from([0xca, 0xfe, 0x01])
  await client.publishAsync(commandTopic('home', 'room-1', 'mode'), encodeCommand('m-1', 'off'), {
    qos: 1,
    properties: { responseTopic: 'replies/service-1', correlationData }
  })
  await waitFor(() => inbox.all.some((m) => m.topic === 'replies/service-1'), 'the reply')
  const reply = inbox.all.find((m) => m.topic === 'replies/service-1')!
  assert.deepEqual(decodeAck(reply.payload), { id: 'm-1', command: 'mode', ok: true, value: 'off' })
  assert.deepEqual(reply.packet.properties?.correlationData, correlationData)
  await waitFor(() => inbox.all.some((m) => m.topic === READING && decodeReading(m.payload).mode === 'off'), 'a reading in mode off')
  assert.equal(inbox.all.filter((m) => m.topic === ACK).length, 0, 'nothing on the ack topic')
})

test('bare values (as Home Assistant sends them) are applied and acked without an id; a malformed command is refused', async (t) => {
  const { client, inbox } = await setup(t)
  await client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), '18.5', { qos: 1 })
  await client.publishAsync(commandTopic('home', 'room-1', 'mode'), '{"id": "m-2", "value": "cool"}', { qos: 1 })
  await waitFor(() => inbox.all.filter((m) => m.topic === ACK).length === 2, 'two acks')
  const acks = inbox.all.filter((m) => m.topic === ACK).map((m) => decodeAck(m.payload))
  assert.deepEqual(acks, [
    { command: 'setpoint', ok: true, value: 18.5 },
    { id: 'm-2', command: 'mode', ok: false, reason: 'mode value must be off or heat' }
  ])
  await readingWithSetpoint(inbox, 18.5)
})

test('an interval command changes the reporting interval and the retained meta', async (t) => {
  const { broker, client, inbox, thermostat } = await setup(t)
  await client.publishAsync(commandTopic('home', 'room-1', 'interval'), encodeCommand('i-1', 0.3), { qos: 1 })
  await waitFor(() => inbox.all.some((m) => m.topic === ACK), 'the ack')
  assert.deepEqual(decodeAck(inbox.all.find((m) => m.topic === ACK)!.payload), { id: 'i-1', command: 'interval', ok: true, value: 0.3 })
  assert.equal(thermostat.readingInterval, 0.3)
  const late = await watch(t, broker.url, [deviceTopic('home', 'room-1', 'meta')])
  const meta = await late.inbox.takeOne()
  assert.equal(meta.packet.retain, true)
  assert.deepEqual(decodeMeta(meta.payload), { model: 'thermopost-sim-thermostat', firmware: '1.0.0', unit: '°C', interval: 0.3 })
})

test('status is online (retained) while connected, and offline (retained) after a clean stop', async (t) => {
  const { broker, thermostat } = await setup(t)
  const status = deviceTopic('home', 'room-1', 'status')
  const before = await watch(t, broker.url, [status])
  const online = await before.inbox.takeOne()
  assert.equal(online.payload.toString(), 'online')
  assert.equal(online.packet.retain, true)
  await thermostat.stop()
  const after = await watch(t, broker.url, [status])
  const offline = await after.inbox.takeOne()
  assert.equal(offline.payload.toString(), 'offline')
  assert.equal(offline.packet.retain, true)
})

test('reboot is acked, then the device drops off (its will says offline) and comes back online', async (t) => {
  const STATUS = deviceTopic('home', 'room-1', 'status')
  const { client, inbox } = await setup(t)
  await client.subscribeAsync(STATUS, { qos: 1 })
  await waitFor(() => inbox.all.some((m) => m.topic === STATUS && m.payload.toString() === 'online'), 'the retained online status')
  const before = inbox.all.length
  await client.publishAsync(commandTopic('home', 'room-1', 'reboot'), encodeCommand('r-1', undefined), { qos: 1 })
  await waitFor(() => inbox.all.some((m) => m.topic === ACK), 'the ack')
  assert.deepEqual(decodeAck(inbox.all.find((m) => m.topic === ACK)!.payload), { id: 'r-1', command: 'reboot', ok: true })
  const statuses = (): string[] =>
    inbox.all
      .slice(before)
      .filter((m) => m.topic === STATUS)
      .map((m) => m.payload.toString())
  await waitFor(() => statuses().join(',') === 'offline,online', 'offline (the will), then online again', 8000)
})
