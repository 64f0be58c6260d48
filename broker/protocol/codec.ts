import mqtt, { type Packet } from 'mqtt-packet'
import { malformed } from './protocol-error.js'

/**
 * Decodes one whole packet (as cut by PacketFramer) with mqtt-packet's parser.
 * The framer hands over complete packets only, so one parser serves every connection: its state
 * resets after each packet, and the connection's protocol version is set before each call. That
 * saves a parser (about 3.4 KB) per idle connection.
 */

type Version = 3 | 4 | 5

// mqtt-packet otherwise keeps 65 536 pre-made 2-byte Buffers (about 6 MB of heap) for packet ids;
// the broker patches ids into its own copies and calls generate() off the hot path.
mqtt.writeToStream.cacheNumbers = false

let decoded: Packet | undefined
let failure: Error | undefined
let parser = newParser()

function newParser(): ReturnType<typeof mqtt.parser> {
  const fresh = mqtt.parser()
  fresh.on('packet', (packet: Packet) => {
    decoded = packet
  })
  fresh.on('error', (error: Error) => {
    failure = error
  })
  return fresh
}

const settingsByVersion: Record<Version, { protocolVersion: Version }> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 }
}

/** Parser message for a CONNECT whose protocol level is not 3, 4 or 5. */
export const UNSUPPORTED_LEVEL = 'Invalid protocol version'

export function decodePacket(bytes: Buffer, protocolVersion: Version): Packet {
  decoded = undefined
  failure = undefined
  // parse() replaces settings with the CONNECT packet it reads; set ours back every time.
  ;(parser as unknown as { settings: object }).settings = settingsByVersion[protocolVersion]
  parser.parse(bytes)
  if (failure !== undefined) {
    // A failed parse leaves the parser mid-packet; the next connection's packet needs a clean one.
    parser = newParser()
    throw malformed((failure as Error).message)
  }
  if (decoded === undefined) throw malformed('incomplete packet')
  return decoded
}

/** Fixed-header byte of each acknowledgement; PUBREL carries the reserved flags 0b0010 [MQTT-3.6.1-1]. */
const ACK_HEADER = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const

/**
 * A successful PUBACK / PUBREC / PUBREL / PUBCOMP: four bytes in every protocol version (5.0 omits
 * reason code 0 and empty properties), built directly since one goes out per QoS 1/2 message.
 */
export function encodeAck(cmd: keyof typeof ACK_HEADER, packetId: number): Buffer {
  const bytes = Buffer.allocUnsafe(4)
  bytes[0] = ACK_HEADER[cmd]
  bytes[1] = 2
  bytes.writeUInt16BE(packetId, 2)
  return bytes
}

export function encodePacket(packet: Packet, protocolVersion: Version): Buffer {
  return mqtt.generate(packet, { protocolVersion })
}
