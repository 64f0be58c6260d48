import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt-packet'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { PacketIdSequence, PROTOCOL_VERSION } from './publish-template.js'
import { ReadingTemplate } from './reading-template.js'

function parseAll(bytes: Buffer): mqtt.IPublishPacket[] {
  const parser = mqtt.parser({ protocolVersion: PROTOCOL_VERSION })
  const packets: mqtt.IPublishPacket[] = []
  parser.on('packet', (packet) => packets.push(packet as mqtt.IPublishPacket))
  parser.on('error', (error) => {
    throw error
  })
  parser.parse(bytes)
  return packets
}

test('a reading template writes QoS 1 PUBLISHes of contract JSON readings, each with its own packet id and a later time', () => {
  const ids = new PacketIdSequence()
  const kitchen = new ReadingTemplate('home', 'kitchen', 21.5, ids)
  const hall = new ReadingTemplate('home', 'hall', 19, ids)
  const size = kitchen.size
  const out = Buffer.alloc(size * 2 + hall.size)
  kitchen.writeInto(out, 0, 1_767_225_600_000)
  // Same millisecond again: the history would drop it as a duplicate, so the template moves it on by 1 ms.
  kitchen.writeInto(out, size, 1_767_225_600_000)
  hall.writeInto(out, size * 2, 1_767_225_600_007)
  const packets = parseAll(out)
  assert.deepEqual(
    packets.map((packet) => [packet.topic, packet.qos, packet.messageId]),
    [
      ['thermopost/home/kitchen/reading', 1, 1],
      ['thermopost/home/kitchen/reading', 1, 2],
      ['thermopost/home/hall/reading', 1, 3]
    ]
  )
  assert.deepEqual(
    packets.map((packet) => decodeReading(packet.payload as Buffer)),
    [
      { time: 1_767_225_600_000, temperature: 21.5 },
      { time: 1_767_225_600_001, temperature: 21.5 },
      { time: 1_767_225_600_007, temperature: 19 }
    ]
  )
})
