import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { discoveryTopic, HOME_ASSISTANT_STATUS } from '../../devices/home-assistant.js'
import { startBroker } from '../helpers/broker.js'
import { startThermostat, waitFor, watch } from './helpers/device-fixture.js'

/** Home Assistant discovery: a retained climate config, re-sent when Home Assistant comes back, and its bare-value commands. */

const CONFIG = discoveryTopic('home', 'room-1')

test('the discovery config is retained, describes a climate entity over the contract topics, and is re-sent on homeassistant/status online', async (t) => {
  const broker = await startBroker()
  const thermostat = startThermostat(t, { urls: [broker.url], homeAssistant: true })
  t.after(() => broker.close())
  await waitFor(() => thermostat.link.isConnected, 'the connection')
  assert.equal(CONFIG, 'homeassistant/climate/thermopost_home_room-1/config')

  // A late subscriber gets it as a retained message: Home Assistant finds it whenever it starts.
  const homeAssistant = await watch(t, broker.url, [])
  await waitFor(() => thermostat.link.counters.readingsAcked > 0, 'a reading')
  await homeAssistant.client.subscribeAsync(CONFIG, { qos: 1 })
  const retained = await homeAssistant.inbox.takeOne()
  assert.equal(retained.packet.retain, true)
  const config = JSON.parse(retained.payload.toString()) as Record<string, unknown>
  const reading = deviceTopic('home', 'room-1', 'reading')
  assert.equal(config.unique_id, 'thermopost_home_room-1')
  assert.equal(config.availability_topic, deviceTopic('home', 'room-1', 'status'))
  assert.equal(config.payload_available, 'online')
  assert.equal(config.payload_not_available, 'offline')
  for (const key of ['current_temperature_topic', 'temperature_state_topic', 'mode_state_topic', 'action_topic'])
    assert.equal(config[key], reading, key)
  assert.equal(config.current_temperature_template, '{{ value_json.temperature }}')
  assert.equal(config.temperature_state_template, '{{ value_json.setpoint }}')
  assert.equal(config.mode_state_template, '{{ value_json.mode }}')
  assert.match(String(config.action_template), /'heating' if value_json\.heating/)
  assert.deepEqual(config.modes, ['off', 'heat'])
  assert.deepEqual([config.min_temp, config.max_temp], [5, 35])

  // Home Assistant restarts and announces itself: every device sends its config again.
  await homeAssistant.client.publishAsync(HOME_ASSISTANT_STATUS, 'online', { qos: 1 })
  const again = await homeAssistant.inbox.takeOne()
  assert.equal(again.topic, CONFIG)
  assert.deepEqual(JSON.parse(again.payload.toString()), config)
  // Anything else on that topic is not a reason to re-send.
  await homeAssistant.client.publishAsync(HOME_ASSISTANT_STATUS, 'offline', { qos: 1 })
  await homeAssistant.inbox.none()

  // Home Assistant's commands are bare values on the command topics the config names.
  await homeAssistant.client.subscribeAsync(reading, { qos: 1 })
  await homeAssistant.client.publishAsync(String(config.temperature_command_topic), '23', { qos: 1 })
  await homeAssistant.client.publishAsync(String(config.mode_command_topic), 'off', { qos: 1 })
  await waitFor(
    () =>
      homeAssistant.inbox.all.some(
        (m) => m.topic === reading && decodeReading(m.payload).setpoint === 23 && decodeReading(m.payload).mode === 'off'
      ),
    'a reading with setpoint 23 in mode off'
  )
})
