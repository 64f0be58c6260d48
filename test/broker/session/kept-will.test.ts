import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt, { type IConnectPacket } from 'mqtt-packet'
import { keptWill, type Will } from '../../../broker/session/will.js'

/** The will of a CONNECT parsed out of a larger socket chunk, as the broker reads it. */
function willFromChunk(): { will: Will; chunk: Buffer } {
  const connect = mqtt.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clientId: 'device-1',
    clean: false,
    keepalive: 60,
    will: { topic: 'site/device-1/status', payload: Buffer.from('offline'), qos: 1, retain: true }
  })
  const chunk = Buffer.alloc(4096)
  connect.copy(chunk, 100)
  let parsed: IConnectPacket | undefined
  const parser = mqtt.parser({ protocolVersion: 4 })
  parser.on('packet', (packet) => {
    parsed = packet as IConnectPacket
  })
  parser.parse(chunk.subarray(100, 100 + connect.length))
  return { will: parsed!.will!, chunk }
}

test('a will kept for the connection does not pin the socket chunk its CONNECT came in', () => {
  const { will, chunk } = willFromChunk()
  assert.equal((will.payload as Buffer).buffer, chunk.buffer, 'the parser hands out a view into the chunk')
  const kept = keptWill(will)
  assert.notEqual((kept.payload as Buffer).buffer, chunk.buffer)
  chunk.fill(0) // the socket's memory is reused: the kept will is untouched
  assert.equal(kept.payload.toString(), 'offline')
  assert.deepEqual({ ...kept, payload: undefined }, { ...will, payload: undefined })
})

test('a will whose payload owns its memory, or is a string, is kept as it is', () => {
  const owned: Will = { topic: 't', payload: Buffer.from(new Uint8Array([1, 2, 3]).buffer), qos: 0, retain: false }
  assert.equal(keptWill(owned), owned)
  const text: Will = { topic: 't', payload: 'offline', qos: 0, retain: false }
  assert.equal(keptWill(text), text)
})
