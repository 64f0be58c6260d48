import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeReading } from '../../../common/contract/reading-codec.js'
import { AdapterDispatcher, type Dispatched } from '../../../service/adapters/adapter-dispatcher.js'
import { createAdapters } from '../../../service/adapters/index.js'
import type { Reading } from '../../../service/reading.js'
import { startBroker } from '../../helpers/broker.js'
import { connectClient } from '../../helpers/flow-clients.js'
import type { Received } from '../../helpers/mqtt-inbox.js'

// Every format through a real broker: the subscriber uses exactly the adapters' subscription plan
// (shared filters under $share/service/, each with its MQTT 5 subscription identifier), so a filter
// that misses its topics, or an overlap that doubles a reading, shows here.

test("each format, published to the broker, arrives once through the adapters' subscriptions and decodes", async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const devices = await connectClient(t, running.url, { protocolVersion: 5 })
  const retained = { qos: 1, retain: true } as const
  await devices.client.publishAsync('thermopost/home/hall/status', 'online', retained)
  await devices.client.publishAsync('tele/kitchen/LWT', 'Online', retained)
  await devices.client.publishAsync('homie/greenhouse/$state', 'ready', retained)
  await devices.client.publishAsync('garage/status', 'online', retained)
  await devices.client.publishAsync('zigbee2mqtt/bedroom_trv/availability', JSON.stringify({ state: 'offline' }), retained)
  await devices.client.publishAsync('homie/greenhouse/climate/inside/$datatype', 'float', retained)
  await devices.client.publishAsync('homie/greenhouse/climate/inside/$unit', '°F', retained)
  await devices.client.publishAsync(
    'homeassistant/sensor/garage/outside/config',
    JSON.stringify({ dev_cla: 'temperature', unit_of_meas: '°F', stat_t: 'garage/sensor/outside/state', name: 'Outside' }),
    retained
  )

  const dispatcher = new AdapterDispatcher(createAdapters())
  const service = await connectClient(t, running.url, { protocolVersion: 5 })
  for (const { topic, subscriptionIdentifier } of dispatcher.subscriptionPlan('service')) {
    await service.client.subscribeAsync(topic, { qos: 1, properties: { subscriptionIdentifier } })
  }
  const dispatch = (m: Received): Dispatched =>
    dispatcher.dispatch(m.topic, m.payload, Date.now(), m.packet.properties?.subscriptionIdentifier)
  const metadata = (await service.inbox.take(8)).map(dispatch)
  assert.deepEqual(metadata.map((d) => d.result.kind).sort(), [
    'no-reading',
    'no-reading',
    'no-reading',
    'status',
    'status',
    'status',
    'status',
    'status'
  ])
  const statuses = metadata.flatMap(({ result }) => (result.kind === 'status' ? [`${result.status.deviceId} ${result.status.online}`] : []))
  assert.ok(statuses.includes('esphome/garage true'), statuses.join(', '))
  assert.ok(statuses.includes('zigbee2mqtt/bedroom_trv false'), statuses.join(', '))

  const live: Array<[string, string | object | Buffer]> = [
    ['thermopost/home/hall/reading', encodeReading({ time: 1704452400000, temperature: 20.5, setpoint: 21, heating: true }, 'json')],
    ['thermopost/home/loft/reading', encodeReading({ time: 1704452400000, temperature: 15.75 }, 'compact')],
    [
      'tele/kitchen/SENSOR',
      {
        Time: '2024-01-05T12:00:00',
        'DS18B20-1': { Id: '01144A0CB2AA', Temperature: 21.3 },
        'DS18B20-2': { Id: '01144A0CB2AB', Temperature: -2.5 },
        TempUnit: 'C'
      }
    ],
    ['shellyhtg3-84fce63ad204/status/temperature:0', { id: 0, tC: 19.9, tF: 67.8 }],
    [
      'shellyplusht-b8d61a8b17cc/events/rpc',
      {
        src: 'shellyplusht-b8d61a8b17cc',
        dst: 'shellyplusht-b8d61a8b17cc/events',
        method: 'NotifyStatus',
        params: { ts: 1700000000, 'temperature:0': { id: 0, tC: 18.2, tF: 64.8 } }
      }
    ],
    ['zigbee2mqtt/upstairs/bedroom_trv', { local_temperature: 17.5, occupied_heating_setpoint: 20, running_state: 'heat' }],
    ['garage/sensor/outside/state', '50'],
    ['homie/greenhouse/climate/inside', '68'],
    // A Tasmota topic named 'status' also matches Shelly's shared `+/status/+`: two copies, one reading.
    ['tele/status/SENSOR', { DS18B20: { Temperature: 4.5 }, TempUnit: 'C' }]
  ]
  for (const [topic, payload] of live)
    await devices.client.publishAsync(topic, typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), {
      qos: 1
    })

  const decoded: Reading[] = []
  const kinds: string[] = []
  for (const message of await service.inbox.take(live.length + 1)) {
    const { result } = dispatch(message)
    kinds.push(result.kind)
    if (result.kind === 'readings') decoded.push(...result.readings)
  }
  assert.deepEqual(
    kinds.filter((kind) => kind !== 'readings'),
    ['not-mine']
  )
  assert.deepEqual(decoded.map((r) => [r.deviceId, r.temperature]).sort(), [
    ['esphome/garage/outside', 10],
    ['home/hall', 20.5],
    ['home/loft', 15.75],
    ['homie/greenhouse/climate/inside', 20],
    ['shelly/shellyhtg3-84fce63ad204', 19.9],
    ['shelly/shellyplusht-b8d61a8b17cc', 18.2],
    ['tasmota/kitchen/DS18B20-1', 21.3],
    ['tasmota/kitchen/DS18B20-2', -2.5],
    ['tasmota/status', 4.5],
    ['zigbee2mqtt/upstairs/bedroom_trv', 17.5]
  ])
  await service.inbox.none()
})
