import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type IPublishPacket } from 'mqtt-packet'
import { type Message, ownPayload, ownPayloadForSending } from '../../broker/message.js'
import { encodedPublish, seedFromWire } from '../../broker/publish-encoding.js'

/** A QoS 1 message as the publish handler makes it: its payload and its seeded wire form views into `chunk`. */
function fromChunk(chunkSize: number, payload: string): { message: Message; chunk: Buffer } {
  const wire = mqtt.generate({
    cmd: 'publish',
    topic: 't/1',
    payload: Buffer.from(payload),
    qos: 1,
    messageId: 7,
    retain: false,
    dup: false
  })
  const chunk = Buffer.alloc(Math.max(chunkSize, wire.length + 16))
  wire.copy(chunk, 16)
  const packetBytes = chunk.subarray(16, 16 + wire.length)
  const parsed = packetBytes.subarray(wire.length - payload.length)
  const message: Message = {
    id: 1,
    topic: 't/1',
    payload: parsed,
    qos: 1,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: 0,
    origin: 'p',
    forms: undefined
  }
  seedFromWire(message, 4, packetBytes)
  return { message, chunk }
}

const packetOf = (bytes: Buffer): IPublishPacket => {
  const parser = mqtt.parser({ protocolVersion: 4 })
  let packet: IPublishPacket | undefined
  parser.on('packet', (p) => {
    packet = p as IPublishPacket
  })
  parser.parse(bytes)
  return packet!
}

test('queued for sending, a payload in a large chunk is copied out with its wire form: nothing pins the chunk, nothing is encoded again', () => {
  const { message, chunk } = fromChunk(64 * 1024, 'hello')
  const seeded = encodedPublish(message, 4, 1, false, 0, undefined)
  ownPayloadForSending(message)
  assert.notEqual(message.payload.buffer, chunk.buffer)
  assert.equal(message.payload.toString(), 'hello')
  const form = encodedPublish(message, 4, 1, false, 0, undefined)
  assert.notEqual(form, seeded, 'the form is the copy')
  assert.equal(form.bytes.buffer, message.payload.buffer, 'payload and form share the one copy')
  assert.notEqual(form.bytes.buffer, chunk.buffer)
  assert.deepEqual(packetOf(form.bytes).payload.toString(), 'hello')
  chunk.fill(0) // the socket's memory is reused: the message is untouched
  assert.equal(message.payload.toString(), 'hello')
  assert.equal(packetOf(encodedPublish(message, 4, 1, false, 0, undefined).bytes).topic, 't/1')
})

test('queued for sending, a payload owned already is left alone, however many queues it joins', () => {
  const { message } = fromChunk(64 * 1024, 'hello')
  ownPayloadForSending(message)
  const owned = message.payload
  const form = encodedPublish(message, 4, 1, false, 0, undefined)
  for (let i = 0; i < 3; i++) ownPayloadForSending(message)
  assert.equal(message.payload, owned)
  assert.equal(encodedPublish(message, 4, 1, false, 0, undefined), form)
})

test('queued for sending, a payload in a chunk no larger than a pool slab stays in place', () => {
  const { message, chunk } = fromChunk(512, 'small')
  ownPayloadForSending(message)
  assert.equal(message.payload.buffer, chunk.buffer)
})

test('kept for long, a payload is copied on its own and the forms seeded from the chunk are dropped', () => {
  const { message, chunk } = fromChunk(512, 'offline')
  ownPayload(message)
  assert.notEqual(message.payload.buffer, chunk.buffer)
  assert.equal(message.payload.toString(), 'offline')
  assert.equal(message.forms, undefined)
})
