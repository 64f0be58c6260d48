import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { encodeAck } from '../../../common/contract/ack.js'
import { decodeCommand } from '../../../common/contract/command.js'
import { commandFilter, deviceTopic } from '../../../common/contract/topics.js'
import type { CommandRecord, CommandState, LiveEvent } from '../../../service/api/api-types.js'
import type { RunningService } from '../../../service/service.js'
import { ServiceError } from '../../../service/service-error.js'
import { startThermostat, waitFor } from '../../devices/helpers/device-fixture.js'
import { type RunningBroker, startBroker } from '../../helpers/broker.js'
import { RawDevice, recordingHistory, startTestService, type TestServiceOptions, tempDataDir } from '../core/service-fixture.js'

async function setup(
  t: TestContext,
  options: Partial<TestServiceOptions> = {}
): Promise<{ running: RunningBroker; service: RunningService; states: () => CommandState[] }> {
  const running = await startBroker()
  t.after(() => running.close())
  const dataDir = options.dataDir ?? tempDataDir(t)
  const service = await startTestService(t, { urls: [running.url], dataDir, history: recordingHistory(t, dataDir), ...options })
  const events: LiveEvent[] = []
  service.live.subscribe((event) => events.push(event))
  const states = (): CommandState[] => events.flatMap((e) => (e.type === 'command' ? [e.command.state] : []))
  return { running, service, states }
}

function latest(service: RunningService, deviceId: string): CommandRecord | undefined {
  return service.commands.history(deviceId, 1)[0]
}

/** A raw device that answers every command with `answer`, or not at all. */
async function answeringDevice(t: TestContext, url: string, answer?: (id: string | undefined) => Buffer): Promise<RawDevice> {
  const device = await RawDevice.connect(t, url, 'home', 'hall')
  await device.client.subscribeAsync(commandFilter('home', 'hall'), { qos: 1 })
  device.client.on('message', (topic, payload) => {
    const command = decodeCommand(topic.split('/').at(-1)!, payload)
    if (answer !== undefined) void device.client.publishAsync(deviceTopic('home', 'hall', 'ack'), answer(command.id), { qos: 1 })
  })
  await device.reading({ temperature: 20 })
  return device
}

test('a setpoint round trip with a simulated thermostat: sent, then acked with the applied value; kept across a restart', async (t) => {
  const dataDir = tempDataDir(t)
  const { running, service, states } = await setup(t, { dataDir, clientId: 'service-a' })
  const thermostat = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'the thermostat online')

  const sent = await service.commands.setpoint('home/room-1', 22.5)
  assert.equal(sent.state, 'sent')
  assert.equal(sent.value, 22.5)
  await waitFor(() => latest(service, 'home/room-1')?.state === 'acked', 'the ack')
  assert.equal(latest(service, 'home/room-1')?.appliedValue, 22.5)
  assert.equal(thermostat.model.setpoint, 22.5)
  assert.equal(service.devices.get('home/room-1')?.desiredSetpoint, 22.5)
  await waitFor(() => states().length === 2, 'the command events')
  assert.deepEqual(states(), ['sent', 'acked'])

  await service.close()
  const again = await startTestService(t, { urls: [running.url], dataDir, history: service.history, clientId: 'service-a' })
  assert.deepEqual(
    again.commands.history('home/room-1').map((c) => [c.id, c.state]),
    [[sent.id, 'acked']]
  )
  await waitFor(() => again.devices.get('home/room-1')?.desiredSetpoint === 22.5, 'the desired setpoint after the restart')
})

test('the service refuses unknown devices and values outside 5–35 °C before sending anything', async (t) => {
  const { running, service } = await setup(t)
  await answeringDevice(t, running.url)
  await waitFor(() => service.devices.get('home/hall') !== undefined, 'the device')
  await assert.rejects(
    service.commands.setpoint('home/nowhere', 20),
    (error) => error instanceof ServiceError && error.code === 'unknown-device'
  )
  for (const value of [40, 4.9, Number.NaN, Number.POSITIVE_INFINITY]) {
    await assert.rejects(
      service.commands.setpoint('home/hall', value),
      (error) => error instanceof ServiceError && error.code === 'invalid-field' && error.field === 'value',
      `value ${value}`
    )
  }
  assert.deepEqual(service.commands.history('home/hall'), [])
})

test('a device that refuses: the command is refused with its reason', async (t) => {
  const { running, service } = await setup(t)
  await answeringDevice(t, running.url, (id) => encodeAck({ id, command: 'setpoint', ok: false, reason: 'the window is open' }))
  await waitFor(() => service.devices.get('home/hall')?.state === 'online', 'the device')
  await service.commands.setpoint('home/hall', 30)
  await waitFor(() => latest(service, 'home/hall')?.state === 'refused', 'the refusal')
  assert.equal(latest(service, 'home/hall')?.reason, 'the window is open')
  assert.equal(service.devices.get('home/hall')?.desiredSetpoint, undefined)
})

test('a device that never answers: the command times out', async (t) => {
  const { running, service, states } = await setup(t, { commandTimeoutMs: 200 })
  await answeringDevice(t, running.url)
  await waitFor(() => service.devices.get('home/hall')?.state === 'online', 'the device')
  await service.commands.setpoint('home/hall', 21)
  await waitFor(() => latest(service, 'home/hall')?.state === 'timed-out', 'the timeout')
  assert.match(latest(service, 'home/hall')!.reason!, /no acknowledgement/)
  await waitFor(() => states().length === 2, 'the command events')
  assert.deepEqual(states(), ['sent', 'timed-out'])
})

test('a command for an offline device is queued in its session, then sent and acked when it comes back', async (t) => {
  const { running, service, states } = await setup(t, { commandTimeoutMs: 5000 })
  const before = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'the thermostat online')
  await before.stop()
  await waitFor(() => service.devices.get('home/room-1')?.state === 'offline', 'the thermostat offline')

  const queued = await service.commands.setpoint('home/room-1', 24)
  assert.equal(queued.state, 'queued')
  const after = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => latest(service, 'home/room-1')?.state === 'acked', 'the ack after coming back')
  assert.equal(after.model.setpoint, 24)
  await waitFor(() => states().length === 3, 'the command events')
  assert.deepEqual(states(), ['queued', 'sent', 'acked'])
})

test('a command whose device stays away past its expiry expires, in the service and in the broker', async (t) => {
  const { running, service } = await setup(t, { commandExpirySeconds: 1 })
  const before = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'the thermostat online')
  await before.stop()
  await waitFor(() => service.devices.get('home/room-1')?.state === 'offline', 'the thermostat offline')
  // Its `offline` goes out just before its DISCONNECT: a command in between would be in flight, not queued.
  await new Promise((resolve) => setTimeout(resolve, 100))

  await service.commands.setpoint('home/room-1', 26)
  await waitFor(() => latest(service, 'home/room-1')?.state === 'expired', 'the expiry', 3000)
  const after = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'back online')
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(after.model.setpoint, 19, 'the broker dropped the expired command')
  assert.equal(latest(service, 'home/room-1')?.state, 'expired')
})

test('a thermostat that comes back with another setpoint gets the desired one again, once', async (t) => {
  const { running, service } = await setup(t)
  const before = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'the thermostat online')
  await service.commands.setpoint('home/room-1', 23)
  await waitFor(() => latest(service, 'home/room-1')?.state === 'acked', 'the ack')
  await before.stop()

  // Rebooted with its factory setpoint: it reports 19 again.
  const after = startThermostat(t, { urls: [running.url], initial: { temperature: 18, setpoint: 19 } })
  await waitFor(
    () => service.commands.history('home/room-1').length === 2 && latest(service, 'home/room-1')?.state === 'acked',
    'the automatic re-send'
  )
  const resent = latest(service, 'home/room-1')!
  assert.equal(resent.automatic, true)
  assert.equal(resent.value, 23)
  assert.equal(after.model.setpoint, 23)
  await new Promise((resolve) => setTimeout(resolve, 300))
  assert.equal(service.commands.history('home/room-1').length, 2, 'sent once, not on every reading')
})
