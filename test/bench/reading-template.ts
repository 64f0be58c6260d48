import mqtt from 'mqtt-packet'
import { encodeReading } from '../../common/contract/reading-codec.js'
import { deviceTopic } from '../../common/contract/topics.js'
import { type PacketIdSequence, PROTOCOL_VERSION } from './publish-template.js'

/** A time of 13 digits, as every time in ms is from 2001 to 2286: sends overwrite these digits in place. */
const PLACEHOLDER_TIME = 1_000_000_000_000

/**
 * One device's thermopost JSON reading (common/contract/) as a QoS 1 PUBLISH on
 * `thermopost/{site}/{device}/reading`, encoded once; each send copies it and patches in the reading's
 * time (its 13 ASCII digits) and the packet id, so the generator does no JSON or MQTT encoding per message.
 */
export class ReadingTemplate {
  private readonly packet: Buffer
  private readonly timeOffset: number
  private readonly packetIdOffset: number
  private lastTime = 0

  /** `packetIds`: shared by every template that publishes on the same connection. */
  constructor(
    site: string,
    device: string,
    temperature: number,
    private readonly packetIds: PacketIdSequence
  ) {
    const payload = encodeReading({ time: PLACEHOLDER_TIME, temperature }, 'json')
    this.packet = mqtt.generate(
      {
        cmd: 'publish',
        topic: deviceTopic(site, device, 'reading'),
        qos: 1,
        messageId: 1,
        retain: false,
        dup: false,
        payload
      },
      { protocolVersion: PROTOCOL_VERSION }
    )
    // The payload is the last field of a PUBLISH, the packet id just before it.
    const payloadOffset = this.packet.length - payload.length
    this.timeOffset = payloadOffset + payload.indexOf(String(PLACEHOLDER_TIME))
    this.packetIdOffset = payloadOffset - 2
  }

  get size(): number {
    return this.packet.length
  }

  /**
   * Writes one PUBLISH at `out[at]`, timed `now` (ms since the epoch, whole) or 1 ms after this device's last
   * reading, whichever is later: the history keeps one reading per device and millisecond and would drop the
   * second as a duplicate.
   */
  writeInto(out: Buffer, at: number, now: number): void {
    const time = Math.max(now, this.lastTime + 1)
    this.lastTime = time
    this.packet.copy(out, at)
    out.write(String(time), at + this.timeOffset, 'latin1')
    out.writeUInt16BE(this.packetIds.take(), at + this.packetIdOffset)
  }
}
