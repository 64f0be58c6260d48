import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt-packet'
import { decodeReading } from '../../common/contract/reading-codec.js'
import { PROTOCOL_VERSION } from './publish-template.js'
import { PLACEHOLDER_TIME, RECORD_HEADER_BYTES, readingTemplates } from './reading-template.js'

test("the ingest generator's templates: per device a QoS 1 PUBLISH of a contract JSON reading, with the offsets of its time and packet id", () => {
  const file = readingTemplates([
    { site: 'home', device: 'kitchen', temperature: 21.5 },
    { site: 'home', device: 'hall', temperature: 19 }
  ])
  const packets: mqtt.IPublishPacket[] = []
  for (let at = 0; at < file.length; ) {
    const length = file.readUInt16LE(at)
    const timeAt = file.readUInt16LE(at + 2)
    const packetIdAt = file.readUInt16LE(at + 4)
    const packet = Buffer.from(file.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + length))
    assert.equal(packet.toString('latin1', timeAt, timeAt + 13), String(PLACEHOLDER_TIME))
    assert.equal(packet.readUInt16BE(packetIdAt), 1, 'the packet id is where the header says')
    // As the generator sends it: another time and packet id patched in.
    packet.write('1767225600007', timeAt, 'latin1')
    packet.writeUInt16BE(4242, packetIdAt)
    const parser = mqtt.parser({ protocolVersion: PROTOCOL_VERSION })
    parser.on('packet', (parsed) => packets.push(parsed as mqtt.IPublishPacket))
    parser.parse(packet)
    at += RECORD_HEADER_BYTES + length
  }
  assert.deepEqual(
    packets.map((packet) => [packet.topic, packet.qos, packet.messageId, decodeReading(packet.payload as Buffer)]),
    [
      ['thermopost/home/kitchen/reading', 1, 4242, { time: 1_767_225_600_007, temperature: 21.5 }],
      ['thermopost/home/hall/reading', 1, 4242, { time: 1_767_225_600_007, temperature: 19 }]
    ]
  )
})
