import mqtt, { type IPublishPacket, type Packet, type QoS } from 'mqtt-packet'
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
  if (bytes[0] >> 4 === PUBLISH) {
    const publish = decodePlainPublish(bytes, protocolVersion)
    if (publish !== undefined) return publish
  } else if (bytes.length === 4 && bytes[1] === 2) {
    const cmd = PLAIN_ACKS.get(bytes[0])
    const messageId = bytes.readUInt16BE(2)
    if (cmd !== undefined && messageId !== 0)
      return new DecodedAck(cmd, cmd === 'pubrel' ? 1 : 0, messageId, protocolVersion === 5 ? 0 : undefined) as Packet
  }
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

const PUBLISH = 3

/**
 * The one packet of the hot path, decoded directly: a well-formed PUBLISH without 5.0 properties, which is
 * what mqtt-packet would make of it (the same fields, the payload a view of `bytes`) at a fraction of the
 * cost (its parser goes through a BufferList and a debug call per field). Anything else — QoS 3, a topic
 * or packet id cut short, properties — returns undefined and goes to mqtt-packet, which decodes it or
 * says what is wrong with it, as for every other packet.
 */
function decodePlainPublish(bytes: Buffer, protocolVersion: Version): IPublishPacket | undefined {
  const flags = bytes[0]
  const qos = (flags >> 1) & 3
  if (qos === 3) return undefined
  let pos = 1
  while ((bytes[pos] & 0x80) !== 0) pos++ // the framer has checked the remaining length and cut the packet to it
  pos++
  const length = bytes.length - pos
  const end = bytes.length
  if (pos + 2 > end) return undefined
  const topicEnd = pos + 2 + bytes.readUInt16BE(pos)
  if (topicEnd > end) return undefined
  const topic = bytes.toString('utf8', pos + 2, topicEnd)
  pos = topicEnd
  let messageId: number | undefined
  if (qos > 0) {
    if (pos + 2 > end) return undefined
    messageId = bytes.readUInt16BE(pos)
    pos += 2
  }
  if (protocolVersion === 5) {
    if (pos >= end || bytes[pos] !== 0) return undefined // no properties: a property length of 0
    pos++
  }
  return new DecodedPublish((flags & 1) !== 0, qos as QoS, (flags & 8) !== 0, length, topic, bytes.subarray(pos), messageId)
}

/**
 * A PUBLISH as decodePlainPublish makes it: a class, not an object literal, so that V8 never allocates it straight
 * into the old generation. V8 remembers where each object literal is made and, once most of one site's objects have
 * outlived a young-generation collection (10 000 devices connecting at once), pretenures every later object of that
 * site. Those old PUBLISHes then kept their socket chunks alive until the next full collection: on fleet-10k the old
 * generation grew by 0.7 MB a second between full collections, the broker's RSS from 163 to 224 MB and back.
 */
class DecodedPublish implements IPublishPacket {
  readonly cmd = 'publish'

  constructor(
    readonly retain: boolean,
    readonly qos: QoS,
    readonly dup: boolean,
    readonly length: number,
    readonly topic: string,
    readonly payload: Buffer,
    readonly messageId: number | undefined
  ) {}
}

/** Fixed-header byte of each acknowledgement; PUBREL carries the reserved flags 0b0010 [MQTT-3.6.1-1]. */
const ACK_HEADER = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 } as const

/** The acknowledgements decoded directly, by their exact fixed-header byte (wrong flags go to mqtt-packet). */
type AckCmd = keyof typeof ACK_HEADER
const PLAIN_ACKS = new Map<number, AckCmd>(Object.entries(ACK_HEADER).map(([cmd, header]) => [header, cmd as AckCmd]))

/**
 * A successful PUBACK / PUBREC / PUBREL / PUBCOMP of four bytes (5.0 leaves out reason code 0 and no properties), as
 * mqtt-packet decodes it, decoded directly: one comes in per QoS 1/2 message a subscriber is sent, and mqtt-packet's
 * parser spent about 4 % of a durable fan-in's main thread on them (a BufferList and a debug call per field). A class,
 * like DecodedPublish, for the same reason. Packet id 0, which the spec forbids, goes to mqtt-packet like anything else.
 */
class DecodedAck {
  readonly retain = false
  readonly dup = false
  readonly length = 2
  readonly topic = null
  readonly payload = null

  constructor(
    readonly cmd: AckCmd,
    readonly qos: QoS,
    readonly messageId: number,
    readonly reasonCode: number | undefined
  ) {}
}

/**
 * A successful PUBACK / PUBREC / PUBREL / PUBCOMP: four bytes in every protocol version (5.0 omits
 * reason code 0 and empty properties), built directly since one goes out per QoS 1/2 message.
 */
export function encodeAck(cmd: keyof typeof ACK_HEADER, packetId: number): Buffer {
  const bytes = Buffer.allocUnsafe(4)
  writeAck(bytes, 0, cmd, packetId)
  return bytes
}

/** Acknowledgements as encodeAck makes them, one after another in one Buffer: they go out in one write. */
export function encodeAcks(acks: ReadonlyArray<{ readonly cmd: keyof typeof ACK_HEADER; readonly packetId: number }>): Buffer {
  const bytes = Buffer.allocUnsafe(4 * acks.length)
  for (let i = 0; i < acks.length; i++) writeAck(bytes, 4 * i, acks[i].cmd, acks[i].packetId)
  return bytes
}

function writeAck(bytes: Buffer, at: number, cmd: keyof typeof ACK_HEADER, packetId: number): void {
  bytes[at] = ACK_HEADER[cmd]
  bytes[at + 1] = 2
  bytes.writeUInt16BE(packetId, at + 2)
}

export function encodePacket(packet: Packet, protocolVersion: Version): Buffer {
  return mqtt.generate(packet, { protocolVersion })
}
