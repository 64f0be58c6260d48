import assert from 'node:assert/strict'
import { test } from 'node:test'
import { mosquittoSettings, thermopostLimitArgs } from './broker-settings.js'
import { scenarioNamed } from './scenarios.js'
import { settingsNote } from './settings-note.js'

test('Mosquitto keeps its defaults (Nagle on, its own in-flight window) but for a queue that never fills', () => {
  assert.deepEqual(mosquittoSettings('mosquitto', undefined), ['max_queued_messages 1000000'])
  assert.deepEqual(mosquittoSettings('mosquitto-nodelay', undefined), ['max_queued_messages 1000000', 'set_tcp_nodelay true'])
  assert.deepEqual(mosquittoSettings('mosquitto-persist', undefined), ['max_queued_messages 0', 'persistence true'])
  assert.deepEqual(mosquittoSettings('mosquitto-persist-nodelay', undefined), [
    'max_queued_messages 0',
    'persistence true',
    'set_tcp_nodelay true'
  ])
})

test('thermopost keeps its own in-flight default; a scenario that names limits gives them to every broker', () => {
  assert.deepEqual(thermopostLimitArgs(undefined), ['--max-queued-messages', '1000000', '--max-queued-bytes', '4294967296'])
  const limits = scenarioNamed('service-ingest').limits
  assert.deepEqual(thermopostLimitArgs(limits).slice(0, 4), ['--max-inflight', '1000', '--max-queued-messages', '500000'])
  assert.deepEqual(mosquittoSettings('mosquitto-nodelay', limits), [
    'max_inflight_messages 1000',
    'max_queued_messages 500000',
    'set_tcp_nodelay true'
  ])
})

test('the bench output states what each broker ran with beyond its defaults', () => {
  const note = settingsNote(
    [scenarioNamed('qos0-fanin'), scenarioNamed('service-ingest')],
    ['thermopost', 'aedes', 'aedes-nodelay', 'mosquitto']
  )
  assert.match(note, /^- thermopost: --max-queued-messages 1000000, --max-queued-bytes 4294967296$/m)
  assert.match(note, /^- aedes: its defaults$/m)
  assert.match(note, /^- aedes-nodelay: createServer\(\{ noDelay: true \}\)$/m)
  assert.match(note, /^- mosquitto: max_queued_messages 1000000$/m)
  assert.match(
    note,
    /^- service-ingest gives every broker its own limits: thermopost: --max-inflight 1000, .*; mosquitto: max_inflight_messages 1000, max_queued_messages 500000$/m
  )
})
