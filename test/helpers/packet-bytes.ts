/** Hand-built MQTT packets, for bytes that mqtt-packet would refuse to encode. */

/** The Remaining Length encoding: seven bits a byte, the high bit saying another byte follows. */
export function remainingLength(length: number): number[] {
  const bytes: number[] = []
  let rest = length
  do {
    const low = rest % 128
    rest = Math.floor(rest / 128)
    bytes.push(rest > 0 ? low | 0x80 : low)
  } while (rest > 0)
  return bytes
}

/** A two-byte length and then the bytes as given, so that ill-formed UTF-8 reaches the broker unchanged. */
export function lengthPrefixed(content: Buffer | string): Buffer {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content
  const length = Buffer.alloc(2)
  length.writeUInt16BE(bytes.length)
  return Buffer.concat([length, bytes])
}

/** A whole packet: the first byte (type and flags), the Remaining Length, then the parts. */
export function packet(firstByte: number, ...parts: Array<Buffer | number[]>): Buffer {
  const body = Buffer.concat(parts.map((part) => (Buffer.isBuffer(part) ? part : Buffer.from(part))))
  return Buffer.concat([Buffer.from([firstByte, ...remainingLength(body.length)]), body])
}

/** A level 4 CONNECT with the given connect flags and payload fields, keepalive 0. */
export function connectBytes(flags: number, ...payload: Buffer[]): Buffer {
  return packet(0x10, lengthPrefixed('MQTT'), [4, flags, 0, 0], ...payload)
}
