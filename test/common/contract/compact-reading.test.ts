import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqttPacket from 'mqtt-packet'
import { encodeReading } from '../../../common/contract/reading-codec.js'
import { thermostatReading } from './thermostat-reading.js'

/** The compact form of a reading: its size on the wire and its limits. */

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

test('the compact form refuses a temperature it cannot hold rather than wrapping it', () => {
  assert.throws(() => encodeReading({ time: 0, temperature: 400 }, 'compact'), RangeError)
})
