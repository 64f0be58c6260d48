import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Adapter } from '../../../service/adapters/adapter.js'
import { AdapterDispatcher, NO_ADAPTER } from '../../../service/adapters/adapter-dispatcher.js'
import { createAdapters } from '../../../service/adapters/index.js'
import { UnrecognizedPayloads } from '../../../service/adapters/unrecognized-payloads.js'
import { RECEIVED_AT, readingsOf } from './decode.js'
import { recordingLogger } from './recording-logger.js'

function dispatcherWithCounter(adapters: Adapter[]): { dispatcher: AdapterDispatcher; unrecognized: UnrecognizedPayloads } {
  const unrecognized = new UnrecognizedPayloads(recordingLogger().logger)
  return { dispatcher: new AdapterDispatcher(adapters, unrecognized), unrecognized }
}

function send(dispatcher: AdapterDispatcher, topic: string, payload: string | object): ReturnType<AdapterDispatcher['dispatch']> {
  return dispatcher.dispatch(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), RECEIVED_AT)
}

/** Whether some topic matches both filters ('+' one level, '#' the rest, and the parent level). */
function filtersOverlap(a: string[], b: string[]): boolean {
  if (a[0] === '#' || b[0] === '#') return true
  if (a.length === 0 || b.length === 0) return a.length === b.length
  if (a[0] !== '+' && b[0] !== '+' && a[0] !== b[0]) return false
  return filtersOverlap(a.slice(1), b.slice(1))
}

test('each message goes to the adapter of its format', () => {
  const { dispatcher } = dispatcherWithCounter(createAdapters())
  const cases: Array<[string, string | object, string, string]> = [
    ['thermopost/home/hall/reading', { time: 1704452400000, temperature: 20.5 }, 'home/hall', 'thermopost'],
    ['tele/kitchen/SENSOR', { DS18B20: { Temperature: 21.3 }, TempUnit: 'C' }, 'tasmota/kitchen', 'tasmota'],
    ['shellyhtg3-84fce63ad204/status/temperature:0', { id: 0, tC: 20, tF: 68 }, 'shelly/shellyhtg3-84fce63ad204', 'shelly'],
    ['zigbee2mqtt/hall', { temperature: 19 }, 'zigbee2mqtt/hall', 'zigbee2mqtt'],
    ['node1/sensor/temperature/state', '18.5', 'esphome/node1/temperature', 'esphome'],
    ['homie/t1/sensor/temperature', '17', 'homie/t1/sensor/temperature', 'homie']
  ]
  for (const [topic, payload, deviceId, source] of cases) {
    const { adapter, result } = send(dispatcher, topic, payload)
    assert.equal(adapter, source, topic)
    assert.equal(readingsOf(result)[0].deviceId, deviceId)
  }
})

test('a message its adapter cannot read, one nobody claims, and an adapter that throws are counted, never thrown', () => {
  const throwing: Adapter = {
    name: 'throwing',
    subscriptions: [{ filter: 'boom/#', shareable: true }],
    decode() {
      throw new Error('kaboom')
    }
  }
  const { dispatcher, unrecognized } = dispatcherWithCounter([...createAdapters(), throwing])
  assert.deepEqual(send(dispatcher, 'tele/kitchen/SENSOR', 'not json'), {
    adapter: 'tasmota',
    result: { kind: 'unrecognized', reason: 'payload is not JSON' }
  })
  // A custom prefix without Shelly's shape: Shelly passes, and no other adapter takes it.
  assert.deepEqual(send(dispatcher, 'printer/status/ink', '40%'), {
    adapter: undefined,
    result: { kind: 'unrecognized', reason: 'no adapter recognizes it' }
  })
  assert.deepEqual(send(dispatcher, 'boom/1', '1'), {
    adapter: 'throwing',
    result: { kind: 'unrecognized', reason: 'adapter failed: kaboom' }
  })
  assert.deepEqual(send(dispatcher, 'unsubscribed/topic', '1').adapter, undefined)
  assert.deepEqual(
    unrecognized
      .snapshot()
      .map((entry) => [entry.adapter, entry.reason, entry.count])
      .sort(),
    [
      [NO_ADAPTER, 'no adapter recognizes it', 2],
      ['tasmota', 'payload is not JSON', 1],
      ['throwing', 'adapter failed: kaboom', 1]
    ]
  )
})

test('adapters are asked in order until one claims the message', () => {
  const asked: string[] = []
  const stub = (name: string, claims: boolean): Adapter => ({
    name,
    subscriptions: [{ filter: name === 'first' ? 'a/#' : 'a/+', shareable: true }],
    decode() {
      asked.push(name)
      return claims ? { kind: 'no-reading' } : { kind: 'not-mine' }
    }
  })
  const dispatcher = new AdapterDispatcher([stub('first', false), stub('second', true), stub('third', true)])
  assert.equal(send(dispatcher, 'a/b', '').adapter, 'second')
  assert.deepEqual(asked, ['first', 'second'])
})

test('topic filters: shareable ones under $share/{group}/, the retained ones plain, none twice', () => {
  const dispatcher = new AdapterDispatcher(createAdapters())
  const filters = dispatcher.topicFilters('service')
  assert.equal(new Set(filters).size, filters.length)
  for (const expected of [
    '$share/service/thermopost/+/+/reading',
    'thermopost/+/+/status',
    '$share/service/tele/+/SENSOR',
    'tele/+/LWT',
    '$share/service/zigbee2mqtt/#',
    'homeassistant/sensor/+/+/config',
    'homie/+/$state',
    '$share/service/homie/+/+/+'
  ]) {
    assert.ok(filters.includes(expected), `${expected} in ${filters.join(' ')}`)
  }
  assert.deepEqual(
    dispatcher.topicFilters().filter((filter) => filter.startsWith('$share/')),
    []
  )
})

test('plain filters overlap shareable ones only where no reading can arrive', () => {
  // A message matching a plain and a shared subscription reaches an instance twice. That is harmless
  // for a status (applied twice, same result) but would store a reading twice, so the only overlaps
  // allowed are these: the shared topic would be Shelly's `{prefix}/status/LWT` or `.../$state`,
  // which is no temperature component. Zigbee2MQTT's retained availability has a plain filter of its own
  // beside the shared `zigbee2mqtt/#`, and carries no reading either (nor is `availability` a Shelly
  // component). ESPHome's `+/status` meets `zigbee2mqtt/#` only at a Z2M device named `status`: the
  // service subscribes with MQTT 5 subscription identifiers, so that copy goes to ESPHome alone.
  const { filters } = new AdapterDispatcher(createAdapters())
  const overlaps: string[] = []
  for (const plain of filters.filter((f) => !f.shareable)) {
    for (const shared of filters.filter((f) => f.shareable)) {
      if (filtersOverlap(plain.filter.split('/'), shared.filter.split('/'))) overlaps.push(`${plain.filter} ~ ${shared.filter}`)
    }
  }
  assert.deepEqual(overlaps, [
    'tele/+/LWT ~ +/status/+',
    'zigbee2mqtt/+/availability ~ +/status/+',
    'zigbee2mqtt/+/availability ~ zigbee2mqtt/#',
    '+/status ~ zigbee2mqtt/#',
    'homie/+/$state ~ +/status/+'
  ])
})

test('dispatched by subscription identifier, a message goes only to the adapters of the filter that delivered it', () => {
  const { dispatcher, unrecognized } = dispatcherWithCounter(createAdapters())
  const plan = dispatcher.subscriptionPlan('service')
  assert.deepEqual(
    plan.map((planned) => planned.subscriptionIdentifier),
    plan.map((_, index) => index + 1)
  )
  assert.deepEqual(
    dispatcher.topicFilters('service'),
    plan.map((planned) => planned.topic)
  )
  const idOf = (topic: string): number => plan.find((planned) => planned.topic === topic)!.subscriptionIdentifier
  const payload = Buffer.from(JSON.stringify({ DS18B20: { Temperature: 4.5 }, TempUnit: 'C' }))

  // tele/status/SENSOR matches Tasmota's and Shelly's shared filters; each delivers a copy.
  const viaShelly = dispatcher.dispatch('tele/status/SENSOR', payload, RECEIVED_AT, idOf('$share/service/+/status/+'))
  assert.deepEqual(viaShelly, { adapter: undefined, result: { kind: 'not-mine' } })
  const viaTasmota = dispatcher.dispatch('tele/status/SENSOR', payload, RECEIVED_AT, [idOf('$share/service/tele/+/SENSOR')])
  assert.equal(readingsOf(viaTasmota.result)[0].deviceId, 'tasmota/status')
  // Only Shelly's filter matches this one, so nobody else will decide: it is counted.
  assert.equal(
    dispatcher.dispatch('printer/status/ink', Buffer.from('40%'), RECEIVED_AT, idOf('$share/service/+/status/+')).result.kind,
    'unrecognized'
  )
  assert.deepEqual(
    unrecognized.snapshot().map((entry) => [entry.adapter, entry.topic, entry.count]),
    [[NO_ADAPTER, 'printer/status/ink', 1]]
  )
})
