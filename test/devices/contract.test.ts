import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqttPacket from 'mqtt-packet'
import { COMPACT_READING_BYTES, COMPACT_READING_VERSION } from '../../devices/compact-reading.js'
import {
  ContractError,
  commandFilter,
  commandTopic,
  decodeAck,
  decodeCommand,
  decodeMeta,
  decodeReading,
  deviceTopic,
  encodeAck,
  encodeCommand,
  encodeMeta,
  encodeReading,
  parseDeviceTopic,
  type ReadingMessage
} from '../../devices/contract.js'

/** The device contract: topics, payload validation, and the compact reading codec. */

const thermostatReading: ReadingMessage = { time: 1_767_225_600_123, temperature: 20.37, setpoint: 21.5, heating: true, mode: 'heat' }

test('topics are built and parsed back; anything else is not a device topic', () => {
  assert.equal(deviceTopic('home', 'kitchen', 'reading'), 'thermopost/home/kitchen/reading')
  assert.equal(commandTopic('home', 'kitchen', 'setpoint'), 'thermopost/home/kitchen/cmd/setpoint')
  assert.equal(commandFilter('home', 'kitchen'), 'thermopost/home/kitchen/cmd/+')
  assert.deepEqual(parseDeviceTopic('thermopost/home/kitchen/status'), { site: 'home', device: 'kitchen', kind: 'status' })
  assert.deepEqual(parseDeviceTopic('thermopost/home/kitchen/cmd/mode'), { site: 'home', device: 'kitchen', kind: 'cmd', command: 'mode' })
  for (const topic of [
    'thermopost/home/kitchen',
    'thermopost/home/kitchen/other',
    'other/home/kitchen/reading',
    'thermopost//kitchen/reading',
    'thermopost/home/kitchen/reading/x',
    'thermopost/home/kitchen/cmd/'
  ]) {
    assert.equal(parseDeviceTopic(topic), undefined, topic)
  }
})

test('decodeReading round-trips the JSON and the compact form, telling them apart by the first byte', () => {
  const plain: ReadingMessage = { time: 1_767_225_600_999, temperature: -12.5 }
  for (const reading of [thermostatReading, plain, { ...thermostatReading, heating: false, mode: 'off' as const }]) {
    const json = encodeReading(reading, 'json')
    const compact = encodeReading(reading, 'compact')
    assert.equal(json[0], '{'.charCodeAt(0))
    assert.equal(compact[0], COMPACT_READING_VERSION)
    assert.equal(compact.length, COMPACT_READING_BYTES)
    assert.deepEqual(decodeReading(json), reading)
    assert.deepEqual(decodeReading(compact), reading)
  }
})

test('a compact reading with topic alias and QoS 1 makes a PUBLISH of at most 24 bytes', () => {
  const packet = mqttPacket.generate(
    {
      cmd: 'publish',
      topic: '',
      qos: 1,
      messageId: 65_535,
      dup: false,
      retain: false,
      payload: encodeReading(thermostatReading, 'compact'),
      properties: { topicAlias: 65_535 }
    },
    { protocolVersion: 5 }
  )
  assert.equal(packet.length, 22)
})

test('decodeReading refuses what is not a reading, saying why', () => {
  const bad: Array<[Buffer, RegExp]> = [
    [Buffer.from('{"time": 1, "temperature": "warm"}'), /temperature must be a number/],
    [Buffer.from('{"time": "2026-01-01T00:00:00Z", "temperature": 20}'), /time must be/],
    [Buffer.from('{"temperature": 20'), /not valid JSON/],
    [Buffer.from('[1,2]'), /JSON object or a compact reading/],
    [Buffer.from('{"time": 1, "temperature": 20, "mode": "cool"}'), /mode must be off or heat/],
    [Buffer.from([COMPACT_READING_VERSION, 0, 0]), /compact reading is 12 bytes/],
    [Buffer.from([2, ...Buffer.alloc(11)]), /JSON object or a compact reading/]
  ]
  for (const [payload, reason] of bad)
    assert.throws(
      () => decodeReading(payload),
      (error: Error) => error instanceof ContractError && reason.test(error.message),
      payload.toString()
    )
})

test('the compact form refuses a temperature it cannot hold rather than wrapping it', () => {
  assert.throws(() => encodeReading({ time: 0, temperature: 400 }, 'compact'), RangeError)
})

test('commands come as {id, value} JSON or as the bare value Home Assistant sends', () => {
  assert.deepEqual(decodeCommand('setpoint', encodeCommand('c1', 21.5)), { name: 'setpoint', id: 'c1', value: 21.5 })
  assert.deepEqual(decodeCommand('setpoint', Buffer.from('19.5')), { name: 'setpoint', value: 19.5 })
  assert.deepEqual(decodeCommand('mode', Buffer.from('heat')), { name: 'mode', value: 'heat' })
  assert.deepEqual(decodeCommand('interval', encodeCommand('c2', 10)), { name: 'interval', id: 'c2', value: 10 })
  assert.deepEqual(decodeCommand('reboot', encodeCommand('c3', undefined)), { name: 'reboot', id: 'c3' })
  assert.deepEqual(decodeCommand('reboot', Buffer.alloc(0)), { name: 'reboot' })
  assert.throws(() => decodeCommand('explode', Buffer.from('1')), /unknown command 'explode'/)
  assert.throws(() => decodeCommand('mode', Buffer.from('cool')), /mode value must be off or heat/)
  assert.throws(() => decodeCommand('setpoint', Buffer.from('warm')), /setpoint value must be a number/)
  assert.throws(() => decodeCommand('setpoint', Buffer.from('{"value": 20}')), /command id must be a non-empty string/)
})

test('meta and acks round-trip and are validated', () => {
  const meta = { model: 'thermopost-sim', firmware: '1.0.0', unit: '°C' as const, interval: 5 }
  assert.deepEqual(decodeMeta(encodeMeta(meta)), meta)
  assert.throws(() => decodeMeta(Buffer.from('{"model":"m","firmware":"f","unit":"F","interval":5}')), /unit must be °C/)
  const refused = { id: 'c1', command: 'setpoint' as const, ok: false, reason: 'setpoint 40 °C is outside 5–35 °C' }
  assert.deepEqual(decodeAck(encodeAck(refused)), refused)
  assert.deepEqual(decodeAck(encodeAck({ command: 'mode', ok: true, value: 'heat' })), { command: 'mode', ok: true, value: 'heat' })
  assert.throws(() => decodeAck(Buffer.from('{"command":"fly","ok":true}')), /unknown command/)
})
