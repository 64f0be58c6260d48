import assert from 'node:assert/strict'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { decodeAck } from '../../common/contract/ack.js'
import { encodeCommand } from '../../common/contract/command.js'
import { decodeMeta } from '../../common/contract/meta.js'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { commandTopic, deviceTopic } from '../../common/contract/topics.js'
import { version } from '../../common/version.js'
import { Agent } from '../../devices/agent.js'
import { discoverSensors } from '../../devices/sensors/discover-sensors.js'
import { makeSensor } from '../../devices/sensors/sensor.js'
import { startBroker } from '../helpers/broker.js'
import type { Inbox } from '../helpers/mqtt-inbox.js'
import { sleep } from '../helpers/silence.js'
import { FAST_BACKOFF, waitFor, watch } from './helpers/device-fixture.js'
import { fakeSysfs, oneOfEachKind } from './sensors/fake-sysfs.js'

/** The agent against a real broker, reading a fake sysfs tree with one sensor of each kind. */

const SITE = 'lab'
const ZONE = 'thermal-zone0-x86_pkg_temp'
const CHIP = 'hwmon-coretemp-coretemp.0-temp1'
const PROBE = 'w1-28-0316a2795aff'

async function setup(t: TestContext, mqttVersion: 4 | 5 = 5) {
  const broker = await startBroker()
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, [`thermopost/${SITE}/+/+`])
  const root = fakeSysfs(t, oneOfEachKind)
  const { sensors } = await discoverSensors(root)
  const events: string[] = []
  const agent = new Agent({
    urls: [broker.url],
    site: SITE,
    interval: 0.1,
    sensors,
    mqttVersion,
    backoff: FAST_BACKOFF,
    onReadFailure: (sensor, error) => events.push(`failing ${sensor.id}: ${error.message}`),
    onReadRecovery: (sensor) => events.push(`recovered ${sensor.id}`)
  })
  agent.start()
  t.after(() => agent.stop())
  return { broker, agent, root, events, ...observer }
}

function on(inbox: Inbox, device: string, kind: 'reading' | 'status' | 'meta' | 'ack') {
  return inbox.all.filter((m) => m.topic === deviceTopic(SITE, device, kind))
}

for (const mqttVersion of [5, 4] as const) {
  test(`MQTT ${mqttVersion === 5 ? '5' : '3.1.1'}: every sensor is a device publishing QoS 1 readings with their time and °C`, async (t) => {
    const started = Date.now()
    const { inbox } = await setup(t, mqttVersion)
    const expected: Record<string, number> = { [ZONE]: 52, [CHIP]: 45, [PROBE]: -1.25 }
    await waitFor(() => Object.keys(expected).every((device) => on(inbox, device, 'reading').length >= 2), 'two readings from each sensor')
    for (const [device, temperature] of Object.entries(expected)) {
      for (const message of on(inbox, device, 'reading')) {
        const reading = decodeReading(message.payload)
        assert.equal(reading.temperature, temperature, device)
        assert.ok(reading.time >= started && reading.time <= Date.now(), `${device}: measured during the test`)
        assert.deepEqual(Object.keys(reading).sort(), ['temperature', 'time'], 'a sensor has no setpoint, heater or mode')
        assert.equal(message.packet.qos, 1)
      }
    }
  })
}

test('status and meta are retained: a client arriving later gets online and the description of each sensor', async (t) => {
  const { broker, inbox } = await setup(t)
  await waitFor(() => [ZONE, CHIP, PROBE].every((device) => on(inbox, device, 'meta').length > 0), 'meta from each sensor')
  const late = await watch(t, broker.url, [`thermopost/${SITE}/+/status`, `thermopost/${SITE}/+/meta`])
  const retained = await late.inbox.take(6)
  assert.ok(
    retained.every((m) => m.packet.retain),
    'sent as retained messages'
  )
  const byTopic = new Map(retained.map((m) => [m.topic, m.payload]))
  for (const [device, model] of [
    [ZONE, 'thermal/x86_pkg_temp'],
    [CHIP, 'hwmon/coretemp'],
    [PROBE, 'w1/DS18B20']
  ] as const) {
    assert.equal(byTopic.get(deviceTopic(SITE, device, 'status'))?.toString(), 'online')
    assert.deepEqual(decodeMeta(byTopic.get(deviceTopic(SITE, device, 'meta'))!), { model, firmware: version, unit: '°C', interval: 0.1 })
  }
})

test('an interval command is applied to its sensor alone, acked with its id, and the meta says so', async (t) => {
  const { client, inbox, agent } = await setup(t)
  await waitFor(() => on(inbox, PROBE, 'reading').length > 0 && on(inbox, ZONE, 'reading').length > 0, 'first readings')
  await client.publishAsync(commandTopic(SITE, PROBE, 'interval'), encodeCommand('i-1', 60), { qos: 1 })
  await waitFor(() => on(inbox, PROBE, 'ack').length > 0, 'the ack')
  assert.deepEqual(decodeAck(on(inbox, PROBE, 'ack')[0]!.payload), { id: 'i-1', command: 'interval', ok: true, value: 60 })
  await waitFor(() => on(inbox, PROBE, 'meta').some((m) => decodeMeta(m.payload).interval === 60), 'meta with the new interval')
  assert.deepEqual(
    agent.devices.map((d) => [d.sensor.id, d.readingInterval]),
    [
      [ZONE, 0.1],
      [CHIP, 0.1],
      [PROBE, 60]
    ]
  )

  // From now on the probe is silent for a minute while the zone keeps its 0.1 s.
  const probeBefore = on(inbox, PROBE, 'reading').length
  const zoneBefore = on(inbox, ZONE, 'reading').length
  await sleep(500)
  assert.equal(on(inbox, PROBE, 'reading').length, probeBefore, 'no probe reading within 0.5 s of a 60 s interval')
  assert.ok(on(inbox, ZONE, 'reading').length > zoneBefore, 'the zone goes on reporting')
})

test('an interval out of range and the commands a sensor does not take are refused with a reason', async (t) => {
  const { client, inbox, agent } = await setup(t)
  await waitFor(() => on(inbox, ZONE, 'reading').length > 0, 'a first reading')
  await client.publishAsync(commandTopic(SITE, ZONE, 'interval'), encodeCommand('too-short', 0.01), { qos: 1 })
  await client.publishAsync(commandTopic(SITE, ZONE, 'setpoint'), encodeCommand('sp', 21), { qos: 1 })
  await waitFor(() => on(inbox, ZONE, 'ack').length === 2, 'two acks')
  assert.deepEqual(
    on(inbox, ZONE, 'ack').map((m) => decodeAck(m.payload)),
    [
      { id: 'too-short', command: 'interval', ok: false, reason: 'interval 0.01 s is outside 0.05–86400 s' },
      { id: 'sp', command: 'setpoint', ok: false, reason: 'a sensor takes only the interval command, not setpoint' }
    ]
  )
  assert.equal(agent.devices[0]!.readingInterval, 0.1)
})

test('a sensor that fails sends no reading and is reported once, the others go on, and it comes back', async (t) => {
  const { inbox, root, events, agent } = await setup(t)
  await waitFor(() => on(inbox, CHIP, 'reading').length > 0, 'a first chip reading')
  const input = join(root, 'sys/devices/platform/coretemp.0/hwmon/hwmon2/temp1_input')
  rmSync(input)
  await sleep(150)
  const chipBefore = on(inbox, CHIP, 'reading').length
  const zoneBefore = on(inbox, ZONE, 'reading').length
  await waitFor(() => on(inbox, ZONE, 'reading').length >= zoneBefore + 3, 'three more zone readings')
  assert.equal(on(inbox, CHIP, 'reading').length, chipBefore, 'no reading from the failing chip')
  assert.deepEqual(events, [`failing ${CHIP}: cannot read ${join(root, 'sys/class/hwmon/hwmon2/temp1_input')}: ENOENT`])

  writeFileSync(input, '46500\n')
  await waitFor(() => on(inbox, CHIP, 'reading').some((m) => decodeReading(m.payload).temperature === 46.5), 'a chip reading again')
  assert.deepEqual(events.slice(1), [`recovered ${CHIP}`])
  assert.ok(agent.devices[1]!.sensor.failures >= 3, 'every failed read was counted')
})

test('a read slower than the interval is never overlapped, and readings go on after it', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const { inbox } = await watch(t, broker.url, [deviceTopic(SITE, 'slow', 'reading')])
  let running = 0
  let most = 0
  const slow = makeSensor({
    id: 'slow',
    label: 'a 1-wire probe on a long bus',
    kind: 'w1',
    model: 'w1/DS18B20',
    source: 'w1_slave',
    readOnce: async () => {
      most = Math.max(most, ++running)
      await sleep(150)
      running--
      return 20
    }
  })
  const agent = new Agent({ urls: [broker.url], site: SITE, interval: 0.05, sensors: [slow], backoff: FAST_BACKOFF })
  agent.start()
  t.after(() => agent.stop())
  await waitFor(() => inbox.all.length >= 3, 'three readings')
  assert.equal(most, 1, 'one read at a time')
})

test('on stop every sensor leaves offline retained', async (t) => {
  const { broker, inbox, agent } = await setup(t)
  await waitFor(() => [ZONE, CHIP, PROBE].every((device) => on(inbox, device, 'status').length > 0), 'online from each sensor')
  await agent.stop()
  const late = await watch(t, broker.url, [`thermopost/${SITE}/+/status`])
  const statuses = await late.inbox.take(3)
  assert.deepEqual(
    statuses.map((m) => [m.topic, m.payload.toString(), m.packet.retain]).sort(),
    [
      [deviceTopic(SITE, CHIP, 'status'), 'offline', true],
      [deviceTopic(SITE, ZONE, 'status'), 'offline', true],
      [deviceTopic(SITE, PROBE, 'status'), 'offline', true]
    ].sort()
  )
})
