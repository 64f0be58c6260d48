import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { deviceTopic } from '../../common/contract/topics.js'
import { climateConfig, sensorConfig } from '../../devices/home-assistant.js'
import { startBroker } from '../helpers/broker.js'
import type { Received } from '../helpers/mqtt-inbox.js'
import { spawnThermopost } from '../helpers/thermopost-process.js'
import { waitFor, watch } from './helpers/device-fixture.js'
import { climateDiscoverySchema, discoveryTopicPattern, sensorDiscoverySchema, validDiscovery } from './helpers/home-assistant-schema.js'
import { fakeSysfs, oneOfEachKind } from './sensors/fake-sysfs.js'

/**
 * Home Assistant discovery is on by default for `thermopost simulate` and `thermopost agent`: a climate
 * entity per thermostat and a temperature sensor entity per sensor, each valid by Home Assistant's
 * documented keys, under --ha-prefix, none with --no-ha-discovery, and sent again on `{prefix}/status` online.
 */

/** A child process's start-up, on a loaded machine. */
const STARTUP_MS = 20_000

/** `thermopost ARGS` running until the test ends; its output so far. */
function runThermopost(t: TestContext, args: string[]): () => string {
  return spawnThermopost(t, args).output
}

const simulate = (url: string, extra: string[] = []): string[] => [
  'simulate',
  '--url',
  url,
  '--devices',
  '2',
  '--interval',
  '100ms',
  '--report',
  '10s',
  ...extra
]

const configs = (messages: readonly Received[], prefix: string, component: string): Received[] =>
  messages.filter((m) => m.topic.startsWith(`${prefix}/${component}/`))

describe('thermopost simulate', () => {
  test('announces each thermostat as a climate entity by default: retained, valid, one device each', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    const output = runThermopost(t, simulate(broker.url))
    const observer = await watch(t, broker.url, ['homeassistant/#', 'thermopost/+/+/reading'])
    await waitFor(
      () => configs(observer.inbox.all, 'homeassistant', 'climate').length >= 2,
      `two climate configs; output: ${output()}`,
      STARTUP_MS
    )
    const found = configs(observer.inbox.all, 'homeassistant', 'climate')
    const ids = new Set<string>()
    for (const message of found) {
      assert.match(message.topic, discoveryTopicPattern('homeassistant', 'climate'))
      const config = validDiscovery(climateDiscoverySchema, message.payload)
      ids.add(config.unique_id)
      assert.deepEqual(config.device.identifiers, [config.unique_id])
    }
    assert.equal(ids.size, 2, 'a unique_id per thermostat')
    assert.match(output(), /Home Assistant discovery on homeassistant\//)
  })

  test('--ha-prefix moves discovery and the birth topic it listens to', async (t) => {
    const broker = await startBroker()
    t.after(() => broker.close())
    runThermopost(t, simulate(broker.url, ['--ha-prefix', 'ha/upstairs']))
    const observer = await watch(t, broker.url, ['ha/upstairs/#', 'homeassistant/#'])
    await waitFor(
      () => configs(observer.inbox.all, 'ha/upstairs', 'climate').length >= 2,
      'two climate configs under ha/upstairs',
      STARTUP_MS
    )
    assert.equal(configs(observer.inbox.all, 'homeassistant', 'climate').length, 0)
    const before = observer.inbox.all.length
    await observer.client.publishAsync('ha/upstairs/status', 'online', { qos: 1 })
    await waitFor(() => configs(observer.inbox.all.slice(before), 'ha/upstairs', 'climate').length >= 2, 'the configs again', STARTUP_MS)
  })

  for (const [what, flags] of [
    ['--no-ha-discovery', ['--no-ha-discovery']],
    ['--format compact (Home Assistant cannot read it)', ['--format', 'compact']]
  ] as const) {
    test(`${what}: no discovery`, async (t) => {
      const broker = await startBroker()
      t.after(() => broker.close())
      const output = runThermopost(t, simulate(broker.url, [...flags]))
      const observer = await watch(t, broker.url, ['homeassistant/#', 'thermopost/+/+/reading'])
      await waitFor(() => observer.inbox.all.filter((m) => m.topic.endsWith('/reading')).length >= 4, 'readings', STARTUP_MS)
      assert.deepEqual(
        observer.inbox.all.filter((m) => m.topic.startsWith('homeassistant/')),
        []
      )
      assert.match(output(), /Home Assistant discovery off/)
    })
  }
})

test('thermopost agent announces each sensor as a temperature sensor entity, and again on homeassistant/status online', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const root = fakeSysfs(t, oneOfEachKind)
  const output = runThermopost(t, ['agent', '--sysfs-root', root, '--url', broker.url, '--site', 'bench', '--interval', '100ms'])
  const observer = await watch(t, broker.url, ['homeassistant/#'])
  await waitFor(
    () => configs(observer.inbox.all, 'homeassistant', 'sensor').length >= 3,
    `three sensor configs; output: ${output()}`,
    STARTUP_MS
  )
  const found = configs(observer.inbox.all, 'homeassistant', 'sensor')
  for (const message of found) {
    const config = validDiscovery(sensorDiscoverySchema, message.payload)
    assert.equal(config.device_class, 'temperature')
    assert.equal(config.unit_of_measurement, '°C')
    assert.match(config.state_topic, /^thermopost\/bench\/[^/]+\/reading$/)
    assert.equal(config.value_template, '{{ value_json.temperature }}')
    assert.equal(config.availability_topic, config.state_topic.replace(/reading$/, 'status'))
  }
  const late = await watch(t, broker.url, ['homeassistant/sensor/#'])
  await waitFor(() => late.inbox.all.length >= 3, 'the configs, retained, for a late subscriber', STARTUP_MS)
  assert.ok(late.inbox.all.every((m) => m.packet.retain))
  await observer.client.publishAsync('homeassistant/status', 'online', { qos: 1 })
  await waitFor(() => configs(observer.inbox.all, 'homeassistant', 'sensor').length >= 6, 'every config again', STARTUP_MS)
})

test('the schemas hold Home Assistant to its documentation: ours pass, unknown keys and wrong kinds do not', () => {
  const device = { site: 'home', device: 'room-1', model: 'm', firmware: '1' }
  validDiscovery(climateDiscoverySchema, climateConfig(device))
  validDiscovery(sensorDiscoverySchema, sensorConfig(device))
  const sensor = JSON.parse(sensorConfig(device).toString()) as Record<string, unknown>
  const broken: Array<[string, Record<string, unknown>]> = [
    ['an unknown key', { ...sensor, state_topc: 'x' }],
    ['a wildcard state topic', { ...sensor, state_topic: 'thermopost/home/+/reading' }],
    ['a temperature in %', { ...sensor, unit_of_measurement: '%' }],
    ['no device identifiers', { ...sensor, device: { name: 'x' } }],
    ['no unique_id', { ...sensor, unique_id: undefined }],
    ['a value that is no template', { ...sensor, value_template: 'temperature' }]
  ]
  for (const [what, config] of broken) {
    assert.throws(() => validDiscovery(sensorDiscoverySchema, Buffer.from(JSON.stringify(config))), /not a valid discovery payload/, what)
  }
  const climate = JSON.parse(climateConfig(device).toString()) as Record<string, unknown>
  assert.throws(() => validDiscovery(climateDiscoverySchema, Buffer.from(JSON.stringify({ ...climate, modes: ['heat', 'boost'] }))))
  assert.throws(() => validDiscovery(climateDiscoverySchema, Buffer.from(JSON.stringify({ ...climate, temperature_unit: '°C' }))))
  assert.equal(deviceTopic('home', 'room-1', 'reading'), climate.current_temperature_topic)
})
