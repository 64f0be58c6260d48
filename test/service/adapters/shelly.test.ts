import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createShellyAdapter } from '../../../service/adapters/shelly.js'
import { assertUnrecognized, decode, RECEIVED_AT, readingsOf } from './decode.js'

// Fixtures follow Shelly's Gen2 API: status components on {prefix}/status/{component:id}, and
// NotifyStatus / NotifyFullStatus frames on {prefix}/events/rpc.

const htg3 = 'shellyhtg3-84fce63ad204'

test('a temperature status under a default Shelly prefix is a reading timed on receipt', () => {
  const result = decode(createShellyAdapter(), `${htg3}/status/temperature:0`, { id: 0, tC: 21.4, tF: 70.5 })
  assert.deepEqual(readingsOf(result), [
    {
      deviceId: `shelly/${htg3}`,
      site: 'shelly',
      device: htg3,
      source: 'shelly',
      time: RECEIVED_AT,
      temperature: 21.4
    }
  ])
})

test('NotifyStatus uses params.ts as the time and carries humidity along', () => {
  const result = decode(createShellyAdapter(), `${htg3}/events/rpc`, {
    src: htg3,
    dst: `${htg3}/events`,
    method: 'NotifyStatus',
    params: { ts: 1700000000.12, 'temperature:0': { id: 0, tC: -3.5, tF: 25.7 }, 'humidity:0': { id: 0, rh: 81.2 } }
  })
  const [reading] = readingsOf(result)
  assert.deepEqual([reading.deviceId, reading.time, reading.temperature, reading.humidity], [`shelly/${htg3}`, 1700000000120, -3.5, 81.2])
})

test("the add-on's probes become devices beneath the prefix; NotifyFullStatus is read too", () => {
  const result = decode(createShellyAdapter(), 'shellyplus1-a8032ab12345/events/rpc', {
    src: 'shellyplus1-a8032ab12345',
    dst: 'shellyplus1-a8032ab12345/events',
    method: 'NotifyFullStatus',
    params: {
      ts: 1700000100,
      'switch:0': { id: 0, output: false, temperature: { tC: 48.1, tF: 118.6 } },
      'temperature:100': { id: 100, tC: 19.75, tF: 67.5 },
      'temperature:101': { id: 101, tC: null, tF: 64.4 }
    }
  })
  assert.deepEqual(
    readingsOf(result).map((r) => [r.deviceId, r.temperature]),
    [
      ['shelly/shellyplus1-a8032ab12345/temperature:100', 19.75],
      ['shelly/shellyplus1-a8032ab12345/temperature:101', 18]
    ]
  )
})

test('a humidity status is kept for the next temperature of the same component', () => {
  const adapter = createShellyAdapter()
  assert.equal(decode(adapter, `${htg3}/status/humidity:0`, { id: 0, rh: 44.5 }).kind, 'no-reading')
  const [reading] = readingsOf(decode(adapter, `${htg3}/status/temperature:0`, { id: 0, tC: 22, tF: 71.6 }))
  assert.equal(reading.humidity, 44.5)
  const other = readingsOf(decode(adapter, 'shellyhtg3-000000000000/status/temperature:0', { id: 0, tC: 22, tF: 71.6 }))
  assert.equal(other[0].humidity, undefined)
})

test('a custom prefix is claimed by the shape of its payload; other topics are left to other adapters', () => {
  const adapter = createShellyAdapter()
  assert.equal(readingsOf(decode(adapter, 'hall/status/temperature:0', { id: 0, tC: 20.1, tF: 68.2 }))[0].deviceId, 'shelly/hall')
  assert.equal(decode(adapter, 'hall/status/temperature:0', '20.1').kind, 'not-mine')
  assert.equal(decode(adapter, 'printer/status/online', 'true').kind, 'not-mine')
  assert.equal(decode(adapter, 'app/events/rpc', { event: 'click' }).kind, 'not-mine')
  assert.equal(decode(adapter, `${htg3}/status/switch:0`, { id: 0, output: true }).kind, 'no-reading')
})

test('under a known prefix, malformed payloads are unrecognized', () => {
  const adapter = createShellyAdapter()
  assertUnrecognized(decode(adapter, `${htg3}/status/temperature:0`, '{"id":0,"tC":'), /not JSON/)
  assertUnrecognized(decode(adapter, `${htg3}/status/temperature:0`, { id: 0, tC: 'warm' }), /tC is not a number/)
  assertUnrecognized(decode(adapter, `${htg3}/status/temperature:0`, { id: 0, errors: ['out_of_range'] }), /without tC/)
  assertUnrecognized(decode(adapter, `${htg3}/events/rpc`, 'NotifyStatus'), /not JSON/)
  assertUnrecognized(decode(adapter, `${htg3}/events/rpc`, { src: htg3, method: 'NotifyStatus' }), /without params/)
})

test('an RPC notification without temperatures carries no reading', () => {
  const result = decode(createShellyAdapter(), `${htg3}/events/rpc`, {
    src: htg3,
    dst: `${htg3}/events`,
    method: 'NotifyStatus',
    params: { ts: 1700000000, 'devicepower:0': { id: 0, battery: { V: 5.9, percent: 90 } } }
  })
  assert.equal(result.kind, 'no-reading')
})

test('configured prefixes are all that is subscribed and claimed', () => {
  const adapter = createShellyAdapter({ prefixes: ['home/boiler-room'] })
  assert.deepEqual(
    adapter.subscriptions.map((s) => s.filter),
    ['home/boiler-room/status/+', 'home/boiler-room/events/rpc']
  )
  const [reading] = readingsOf(decode(adapter, 'home/boiler-room/status/temperature:0', { id: 0, tC: 55, tF: 131 }))
  assert.equal(reading.deviceId, 'shelly/home/boiler-room')
  assert.equal(decode(adapter, `${htg3}/status/temperature:0`, { id: 0, tC: 21, tF: 69.8 }).kind, 'not-mine')
  assertUnrecognized(decode(adapter, 'home/boiler-room/status/temperature:0', 'hot'), /not JSON/)
})
