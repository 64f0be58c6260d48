import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type IPublishPacket, type QoS } from 'mqtt-packet'
import { BRIDGE_PATH_PROPERTY } from '../../../broker/bridge/bridge-path.js'
import { bridgedPublish } from '../../../broker/bridge/bridged-publish.js'
import type { Delivery, Message } from '../../../broker/message.js'

function delivery(payloadLength: number, qos: QoS, retain: boolean, expiresAt: number, topic = 'site/a/t'): Delivery {
  const message: Message = {
    id: 1,
    topic,
    payload: Buffer.alloc(payloadLength, 7),
    qos,
    retain,
    properties: expiresAt === 0 ? undefined : { messageExpiryInterval: 600 },
    expiresAt,
    receivedAt: Date.now(),
    origin: 'publisher',
    forms: undefined
  }
  return { message, qos, retain, subscriptionIds: [1] }
}

/** What mqtt-packet's generator writes for the same bridged PUBLISH: the form the direct encoder must match. */
function generated(d: Delivery, remoteTopic: string, node: string, expiry: number | undefined): Buffer {
  const packet: IPublishPacket = {
    cmd: 'publish',
    topic: remoteTopic,
    payload: d.message.payload,
    qos: d.qos,
    retain: d.retain,
    dup: false,
    messageId: d.qos > 0 ? 1 : undefined,
    properties: { messageExpiryInterval: expiry, userProperties: { [BRIDGE_PATH_PROPERTY]: [node] } }
  }
  return mqtt.generate(packet, { protocolVersion: 5 })
}

test('bridged publish to a 5.0 remote: a message without properties is written as the generator writes it', () => {
  // Payload sizes around each length of the Remaining Length field, topics with multi-byte characters.
  for (const payloadLength of [0, 5, 60, 127, 200, 16_300, 16_400, 2_097_100, 2_097_200]) {
    for (const qos of [0, 1, 2] as const) {
      for (const retain of [false, true]) {
        const d = delivery(payloadLength, qos, retain, 0)
        const encoded = bridgedPublish(d, 'cloud/sité/t', 5, 'node-1')
        assert.deepEqual(encoded.bytes, generated(d, 'cloud/sité/t', 'node-1', undefined), `${payloadLength} B, QoS ${qos}`)
        const idOffset = qos > 0 ? encoded.bytes.indexOf('cloud/sité/t') + Buffer.byteLength('cloud/sité/t') : -1
        assert.equal(encoded.idOffset, idOffset)
      }
    }
  }
})

test('bridged publish to a 5.0 remote: the remaining expiry goes with the message, as the generator writes it', () => {
  const d = delivery(40, 1, false, Date.now() + 299_500)
  const encoded = bridgedPublish(d, 'cloud/t', 5, 'n')
  assert.deepEqual(encoded.bytes, generated(d, 'cloud/t', 'n', 300))
  const parser = mqtt.parser({ protocolVersion: 5 })
  let parsed: mqtt.Packet | undefined
  parser.on('packet', (packet) => {
    parsed = packet
  })
  parser.parse(encoded.bytes)
  assert.equal((parsed as IPublishPacket).properties?.messageExpiryInterval, 300)
  assert.deepEqual({ ...(parsed as IPublishPacket).properties?.userProperties }, { [BRIDGE_PATH_PROPERTY]: 'n' })
})

test('bridged publish: only the form shared with other copies (3.1.1, same topic) is marked shared, so no other is copied to patch', () => {
  const d = delivery(10, 1, false, 0, 'site/t')
  const own = bridgedPublish(d, 'site/t', 5, 'n')
  assert.equal(own.shared, false)
  assert.notEqual(bridgedPublish(d, 'site/t', 5, 'n').bytes, own.bytes, 'each send gets bytes of its own')
  const cached = bridgedPublish(d, 'site/t', 4, 'n')
  assert.equal(cached.shared, true)
  assert.equal(bridgedPublish(d, 'site/t', 4, 'n').bytes, cached.bytes, "the message's cached form")
  assert.equal(bridgedPublish(d, 'cloud/t', 4, 'n').shared, false)
})
