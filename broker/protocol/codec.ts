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

function newParser (): ReturnType<typeof mqtt.parser> {
  const fresh = mqtt.parser()
  fresh.on('packet', (packet: Packet) => { decoded = packet })
  fresh.on('error', (error: Error) => { failure = error })
  return fresh
}

const settingsByVersion: Record<Version, { protocolVersion: Version }> = {
  3: { protocolVersion: 3 },
  4: { protocolVersion: 4 },
  5: { protocolVersion: 5 }
}

/** Parser message for a CONNECT whose protocol level is not 3, 4 or 5. */
export const UNSUPPORTED_LEVEL = 'Invalid protocol version'

export function decodePacket (bytes: Buffer, protocolVersion: Version): Packet {
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

export function encodePacket (packet: Packet, protocolVersion: Version): Buffer {
  return mqtt.generate(packet, { protocolVersion })
}
