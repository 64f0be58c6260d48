import mqtt from 'mqtt-packet'
import { monotonicMs } from './monotonic-clock.js'
import { PAYLOAD_BYTES } from './scenarios.js'

/** MQTT 3.1.1 everywhere: the bench compares brokers on the protocol all three speak the same way. */
export const PROTOCOL_VERSION = 4

/**
 * One PUBLISH shape, encoded once by mqtt-packet; each send copies it and patches in the send time
 * (a little-endian float64 of `monotonicMs()` at the start of the payload, where the native
 * fan-out receiver reads it too) and, for QoS 1, the packet id.
 * A copy per send because a queued socket write keeps referencing the buffer it was given.
 */
export class PublishTemplate {
  private readonly packet: Buffer
  private readonly payloadOffset: number

  /** `packetIds`: shared by every template that publishes on the same connection. */
  constructor(
    topic: string,
    private readonly qos: 0 | 1,
    private readonly packetIds = new PacketIdSequence()
  ) {
    this.packet = mqtt.generate(
      {
        cmd: 'publish',
        topic,
        qos,
        retain: false,
        dup: false,
        payload: Buffer.alloc(PAYLOAD_BYTES),
        ...(qos === 1 ? { messageId: 1 } : {})
      },
      { protocolVersion: PROTOCOL_VERSION }
    )
    // The payload is the last field of a PUBLISH; for QoS 1 the packet id sits just before it.
    this.payloadOffset = this.packet.length - PAYLOAD_BYTES
  }

  /** `count` PUBLISHes back to back in one buffer, for one socket write. */
  batch(count: number): Buffer {
    const size = this.packet.length
    const out = Buffer.allocUnsafe(count * size)
    const now = monotonicMs()
    for (let index = 0; index < count; index++) {
      const at = index * size
      this.packet.copy(out, at)
      out.writeDoubleLE(now, at + this.payloadOffset)
      if (this.qos === 1) out.writeUInt16BE(this.packetIds.take(), at + this.payloadOffset - 2)
    }
    return out
  }
}

/**
 * One connection's packet ids, 1..65535 in turn. Fine while fewer than 65535 PUBLISHes are
 * unacknowledged, which the publishers' windows guarantee.
 */
export class PacketIdSequence {
  private next = 1

  take(): number {
    const id = this.next
    this.next = id === 0xffff ? 1 : id + 1
    return id
  }
}

/** The send time that `PublishTemplate.batch` wrote into a received PUBLISH whose body is `buffer[start, end)`. */
export function sentAtMs(buffer: Buffer, end: number): number {
  return buffer.readDoubleLE(end - PAYLOAD_BYTES)
}
