import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeReading } from '../../../common/contract/reading-codec.js'
import { commandTopic, deviceTopic } from '../../../common/contract/topics.js'
import { startThermostat, waitFor, watch } from '../../devices/helpers/device-fixture.js'
import { climateDiscoverySchema, validDiscovery } from '../../devices/helpers/home-assistant-schema.js'
import { startBroker } from '../../helpers/broker.js'
import { spawnThermopost } from '../../helpers/thermopost-process.js'
import { recordingHistory, startTestService, tempDataDir } from '../core/service-fixture.js'

/**
 * The setpoint round trip through Home Assistant discovery, end to end: `thermopost simulate` announces its
 * thermostat, "Home Assistant" (a client doing what it does) reads the retained climate config and sends a
 * bare setpoint on the entity's temperature_command_topic; the device applies it, and the service records it
 * as an acknowledged command from outside, takes it as the desired setpoint, and does not put the old one back.
 */

const STARTUP_MS = 20_000

test('a setpoint from the climate entity reaches the device and shows up in the service as an acknowledged command', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dataDir = tempDataDir(t)
  const service = await startTestService(t, { urls: [broker.url], dataDir, history: recordingHistory(t, dataDir) })
  spawnThermopost(t, ['simulate', '--url', broker.url, '--devices', '1', '--interval', '100ms', '--report', '10s'])
  const deviceId = 'site-1/room-00001'
  await waitFor(() => service.devices.get(deviceId)?.state === 'online', 'the simulated thermostat online in the service', STARTUP_MS)

  const homeAssistant = await watch(t, broker.url, ['homeassistant/climate/+/config'])
  await waitFor(() => homeAssistant.inbox.all.length > 0, 'the retained climate config', STARTUP_MS)
  const config = validDiscovery(climateDiscoverySchema, homeAssistant.inbox.all[0]!.payload)
  const setpoint = service.devices.get(deviceId)!.lastReading?.setpoint === 23.5 ? 24 : 23.5
  await homeAssistant.client.subscribeAsync(config.temperature_state_topic!, { qos: 1 })
  await homeAssistant.client.publishAsync(config.temperature_command_topic!, String(setpoint), { qos: 1 })

  await waitFor(() => service.commands.history(deviceId, 1)[0]?.state === 'acked', 'the acknowledged command in the service')
  const [record] = service.commands.history(deviceId, 1)
  assert.deepEqual(
    { name: record!.name, value: record!.value, appliedValue: record!.appliedValue, external: record!.external },
    { name: 'setpoint', value: setpoint, appliedValue: setpoint, external: true }
  )
  assert.equal(service.devices.get(deviceId)?.desiredSetpoint, setpoint)

  // The device holds it, and keeps it: the service takes it as the desired setpoint instead of restoring another.
  const readings = () => homeAssistant.inbox.all.filter((m) => m.topic === deviceTopic('site-1', 'room-00001', 'reading'))
  await waitFor(
    () => readings().filter((m) => decodeReading(m.payload).setpoint === setpoint).length >= 5,
    'five readings at the new setpoint'
  )
  assert.deepEqual(
    service.commands.history(deviceId).map((command) => command.external === true),
    [true],
    'no command of the service put another setpoint back'
  )
})

test('a bare setpoint the device refuses is recorded refused, with its reason, and changes no desired setpoint', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const dataDir = tempDataDir(t)
  const service = await startTestService(t, { urls: [broker.url], dataDir, history: recordingHistory(t, dataDir) })
  startThermostat(t, { urls: [broker.url], homeAssistant: true, initial: { temperature: 18, setpoint: 19 } })
  await waitFor(() => service.devices.get('home/room-1')?.state === 'online', 'the thermostat online')
  const homeAssistant = await watch(t, broker.url, [])
  await homeAssistant.client.publishAsync(commandTopic('home', 'room-1', 'setpoint'), '40', { qos: 1 })
  await waitFor(() => service.commands.history('home/room-1', 1)[0]?.state === 'refused', 'the refusal in the service')
  const [record] = service.commands.history('home/room-1', 1)
  assert.equal(record!.external, true)
  assert.match(record!.reason!, /setpoint 40 °C is outside 5–35 °C/)
  assert.equal(service.devices.get('home/room-1')?.desiredSetpoint, undefined)
})
