import mqtt from 'mqtt-packet'
import { encodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { PROTOCOL_VERSION } from './publish-template.js'

/** A time of 13 digits, as every time in ms is from 2001 to 2286: the generator overwrites these digits in place. */
export const PLACEHOLDER_TIME = 1_000_000_000_000
/** Each device's record starts with its packet's length, the offset of its time and that of its packet id (u16 LE each). */
export const RECORD_HEADER_BYTES = 6

export interface DeviceReading {
  site: string
  device: string
  temperature: number
}

/**
 * What native/ingest.c publishes, as the file it reads: each device's thermopost JSON reading (common/contract/) as a
 * QoS 1 PUBLISH on `thermopost/{site}/{device}/reading`, encoded once here. The generator copies a device's packet
 * for each send and patches in the reading's time (its 13 ASCII digits) and the packet id, so it does no JSON or
 * MQTT encoding per message.
 */
export function readingTemplates(devices: readonly DeviceReading[]): Buffer {
  return Buffer.concat(devices.map(templateRecord))
}

function templateRecord({ site, device, temperature }: DeviceReading): Buffer {
  const payload = encodeReading({ time: PLACEHOLDER_TIME, temperature }, 'json')
  const packet = mqtt.generate(
    { cmd: 'publish', topic: deviceTopic(site, device, 'reading'), qos: 1, messageId: 1, retain: false, dup: false, payload },
    { protocolVersion: PROTOCOL_VERSION }
  )
  // The payload is the last field of a PUBLISH, the packet id just before it.
  const payloadOffset = packet.length - payload.length
  const header = Buffer.alloc(RECORD_HEADER_BYTES)
  header.writeUInt16LE(packet.length, 0)
  header.writeUInt16LE(payloadOffset + payload.indexOf(String(PLACEHOLDER_TIME)), 2)
  header.writeUInt16LE(payloadOffset - 2, 4)
  return Buffer.concat([header, packet])
}
