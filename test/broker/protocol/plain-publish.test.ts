import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type QoS } from 'mqtt-packet'
import type { Message } from '../../../broker/message.js'
import { encodedPublish } from '../../../broker/publish-encoding.js'

function message(payloadLength: number, qos: QoS, retain: boolean, expiry: number | undefined): Message {
  return {
    id: 1,
    topic: 'site/sité/t',
    payload: Buffer.alloc(payloadLength, 7),
    qos,
    retain,
    properties: expiry === undefined ? undefined : { messageExpiryInterval: expiry },
    expiresAt: expiry === undefined || expiry === 0 ? 0 : Date.now() + expiry * 1000,
    receivedAt: Date.now(),
    origin: 'publisher',
    forms: undefined
  }
}

test("a 5.0 subscriber's form of a message without properties but an expiry is written as the generator writes it", () => {
  // Payload sizes around each length of the Remaining Length field; no expiry, one, and an expiry of 0 sent as such.
  for (const payloadLength of [0, 60, 127, 16_300, 16_400, 2_097_100, 2_097_200]) {
    for (const qos of [0, 1, 2] as const) {
      for (const expiry of [undefined, 600, 0]) {
        const m = message(payloadLength, qos, false, expiry)
        const expected = mqtt.generate(
          {
            cmd: 'publish',
            topic: m.topic,
            payload: m.payload,
            qos,
            retain: false,
            dup: false,
            messageId: qos > 0 ? 1 : undefined,
            properties: expiry === undefined ? {} : { messageExpiryInterval: expiry }
          },
          { protocolVersion: 5 }
        )
        const encoded = encodedPublish(m, 5, qos, false, Date.now(), undefined)
        assert.deepEqual(encoded.bytes, expected, `${payloadLength} B, QoS ${qos}, expiry ${expiry}`)
        assert.equal(encoded.idOffset, qos > 0 ? expected.indexOf(m.topic) + Buffer.byteLength(m.topic) : -1)
      }
    }
  }
})

test("a 3.1 or 3.1.1 subscriber's form is written as the generator writes it: no properties, whatever the message has", () => {
  for (const payloadLength of [0, 127, 16_400, 2_097_200]) {
    for (const qos of [0, 1, 2] as const) {
      for (const version of [3, 4] as const) {
        for (const retain of [false, true]) {
          const m = message(payloadLength, qos, retain, 600)
          const expected = mqtt.generate(
            { cmd: 'publish', topic: m.topic, payload: m.payload, qos, retain, dup: false, messageId: qos > 0 ? 1 : undefined },
            { protocolVersion: version }
          )
          const encoded = encodedPublish(m, version, qos, retain, Date.now(), undefined)
          assert.deepEqual(encoded.bytes, expected, `3.1${version === 4 ? '.1' : ''}, ${payloadLength} B, QoS ${qos}, retain ${retain}`)
          assert.equal(encoded.idOffset, qos > 0 ? expected.indexOf(m.topic) + Buffer.byteLength(m.topic) : -1)
        }
      }
    }
  }
})
