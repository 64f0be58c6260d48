import mqtt from 'mqtt-packet'
import type { BenchClient } from '../bench-client.js'
import { PROTOCOL_VERSION } from '../publish-template.js'

const PUBLISH = 3
const PUBACK_TEMPLATE = mqtt.generate({ cmd: 'puback', messageId: 1 }, { protocolVersion: PROTOCOL_VERSION })

/** Calls `onPublish` for every PUBLISH the client receives, and PUBACKs QoS 1 ones, one write per socket read. */
export function receivePublishes(client: BenchClient, onPublish: () => void): void {
  const unacked: number[] = []
  client.onPacket = (type, flags, buffer, start) => {
    if (type !== PUBLISH) return
    onPublish()
    if (((flags >> 1) & 3) === 1) {
      // Variable header: topic (2-byte length + bytes), then the packet id.
      unacked.push(buffer.readUInt16BE(start + 2 + buffer.readUInt16BE(start)))
    }
  }
  client.afterChunk = () => {
    if (unacked.length === 0) return
    const size = PUBACK_TEMPLATE.length
    const acks = Buffer.allocUnsafe(unacked.length * size)
    unacked.forEach((packetId, index) => {
      PUBACK_TEMPLATE.copy(acks, index * size)
      acks.writeUInt16BE(packetId, index * size + 2)
    })
    unacked.length = 0
    client.write(acks)
  }
}
