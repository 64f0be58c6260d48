import mqtt, { type IConnectPacket, type Packet, type QoS } from 'mqtt-packet'
import { SeededRandom } from '../../../devices/model/seeded-random.js'

/**
 * What the fuzzer sends: valid packets of every type and protocol version with random fields
 * (mqtt-packet's `generate`), mutations of them, and plain random bytes. Everything comes from one
 * seeded PRNG, so a worker given the same seed sends the same sequence.
 */

export type Version = 3 | 4 | 5

/** The seeded generator of the device simulator (mulberry32), with the choices a fuzzer makes. */
export class Rng extends SeededRandom {
  /** Whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Whole number in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = this.int(256)
    return out
  }
}

/** Client ids the fuzzer may use: a small pool (so sessions are taken over and resumed), never the good clients'. */
export const FUZZ_ID_POOL = 64
export const isFuzzClientId = (id: string): boolean => !id.startsWith('good-')

// Topics and filters. Nothing a fuzzer PUBLISHes (or leaves as a will) starts with "fuzz": the
// well-behaved subscriber's `fuzz/ok/#` must only ever see the well-behaved publisher's messages.
const TOPICS: readonly string[] = [
  'a',
  'a/b',
  'a/b/c',
  'sensors/kitchen/temp',
  '/',
  '//',
  '/a/',
  'x/y/z/w/v',
  'ü/€/𝄞',
  '温度/センサー',
  '$SYS/broker/x',
  '$share/g/a',
  '$share',
  'a+',
  'a#',
  '+',
  '#',
  'a/+/c',
  'a/#',
  '',
  '\u0000',
  'a\u0000b',
  'lone\uD800surrogate',
  '\uFFFF\uFEFF',
  'l/'.repeat(80) + 'deep',
  't'.repeat(5000),
  'sp ace',
  'retained/r'
]
const FILTERS: readonly string[] = [
  '#',
  '+',
  '+/+',
  'a/#',
  'a/+/c',
  'a/b',
  '/#',
  '$SYS/#',
  '$share/g/a/#',
  '$share/g/#',
  '$share//a',
  '$share/g',
  '$share/g+/a',
  '$share/+/a',
  'a/#/b',
  '#/a',
  'a+',
  '+a/b',
  '',
  'ü/#',
  'fuzz/ok/#',
  'fuzz/ok/n',
  'fuzz/#',
  'l/'.repeat(80) + '#',
  'f'.repeat(5000),
  '\u0000',
  'retained/#',
  '$share/g/fuzz/ok/#'
]
const ALPHABET = ['a', 'b', '/', '/', '+', '#', '$', ' ', 'é', '€', '𝄞', '\u0000', '\uD800', 'z', '0']

function randomString(rng: Rng, maxLength: number): string {
  let s = ''
  const n = rng.int(maxLength + 1)
  for (let i = 0; i < n; i++) s += rng.pick(ALPHABET)
  return s
}

function topic(rng: Rng): string {
  if (rng.chance(0.7)) return rng.pick(TOPICS)
  const s = randomString(rng, 12)
  return s.startsWith('fuzz') ? `x${s}` : s
}

function filter(rng: Rng): string {
  return rng.chance(0.75) ? rng.pick(FILTERS) : randomString(rng, 12)
}

function clientId(rng: Rng): string {
  const r = rng.next()
  if (r < 0.8) return `fz${rng.int(FUZZ_ID_POOL)}`
  if (r < 0.9) return ''
  return `fr${randomString(rng, 10)}` // a fresh one now and then; "fr" keeps it clear of the good ids
}

function payload(rng: Rng): Buffer {
  const r = rng.next()
  if (r < 0.9) return rng.bytes(rng.int(64))
  if (r < 0.98) return rng.bytes(rng.int(2048))
  if (r < 0.995) return Buffer.alloc(rng.range(60_000, 70_000), 0x61) // around the 64 KiB limit
  return Buffer.alloc(rng.range(100_000, 300_000), 0x62) // over it
}

function qos(rng: Rng): QoS {
  return (rng.chance(0.03) ? 3 : rng.int(3)) as QoS // 3 is invalid on purpose; generate may refuse it
}

function messageId(rng: Rng): number {
  return rng.chance(0.05) ? rng.pick([0, 65_535, 65_536]) : rng.range(1, 20)
}

function u32(rng: Rng): number {
  return rng.pick([0, 1, 2, 10, 60, 0xffff, 0xffffffff, rng.int(0x100000000)])
}

function userProperties(rng: Rng): Record<string, string | string[]> | undefined {
  if (!rng.chance(0.3)) return undefined
  const out: Record<string, string | string[]> = {}
  for (let i = rng.int(4); i >= 0; i--) out[randomString(rng, 6)] = rng.chance(0.2) ? [randomString(rng, 5), ''] : randomString(rng, 8)
  return out
}

/** Drops the undefined entries, so that `generate` writes only chosen properties. */
function defined<T extends object>(props: T): T | undefined {
  const out = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as T
  return Object.keys(out).length > 0 ? out : undefined
}

function maybe<T>(rng: Rng, p: number, make: () => T): T | undefined {
  return rng.chance(p) ? make() : undefined
}

function reasonProps(rng: Rng): { reasonString?: string; userProperties?: Record<string, string | string[]> } | undefined {
  return defined({ reasonString: maybe(rng, 0.2, () => randomString(rng, 20)), userProperties: userProperties(rng) })
}

/** A CONNECT the broker should accept (mostly): the first packet of half the fuzz connections. */
export function validConnect(rng: Rng, version: Version): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    clientId: `fz${rng.int(FUZZ_ID_POOL)}`,
    clean: rng.chance(0.7),
    keepalive: rng.pick([0, 0, 5, 60])
  }
  if (version === 5)
    packet.properties = { sessionExpiryInterval: rng.pick([0, 0, 10]), ...(rng.chance(0.3) ? { topicAliasMaximum: 5 } : {}) }
  if (rng.chance(0.2)) packet.will = { topic: topic(rng), payload: rng.bytes(rng.int(16)), qos: rng.int(3) as QoS, retain: rng.chance(0.3) }
  return packet
}

function connect(rng: Rng, version: Version): IConnectPacket {
  const packet: IConnectPacket = {
    cmd: 'connect',
    protocolId: rng.chance(0.95) ? (version === 3 ? 'MQIsdp' : 'MQTT') : version === 3 ? 'MQTT' : 'MQIsdp',
    protocolVersion: version,
    clientId: clientId(rng),
    clean: rng.chance(0.6),
    keepalive: rng.pick([0, 1, 2, 60, 65_535])
  }
  if (rng.chance(0.3)) {
    packet.username = randomString(rng, 10)
    if (rng.chance(0.5)) packet.password = rng.bytes(rng.int(20))
  }
  if (rng.chance(0.3)) {
    packet.will = {
      topic: topic(rng),
      payload: payload(rng),
      qos: qos(rng),
      retain: rng.chance(0.5),
      ...(version === 5 && rng.chance(0.5)
        ? {
            properties: defined({
              willDelayInterval: maybe(rng, 0.5, () => rng.pick([0, 1, 3, 0xffffffff])),
              payloadFormatIndicator: maybe(rng, 0.3, () => rng.chance(0.5)),
              messageExpiryInterval: maybe(rng, 0.3, () => u32(rng)),
              contentType: maybe(rng, 0.2, () => randomString(rng, 8)),
              responseTopic: maybe(rng, 0.2, () => topic(rng)),
              correlationData: maybe(rng, 0.2, () => rng.bytes(rng.int(8))),
              userProperties: userProperties(rng)
            })
          }
        : {})
    }
  }
  if (version === 5 && rng.chance(0.7)) {
    const properties = defined({
      sessionExpiryInterval: maybe(rng, 0.5, () => rng.pick([0, 5, 20, 0xffffffff])),
      receiveMaximum: maybe(rng, 0.3, () => rng.pick([0, 1, 2, 65_535])),
      maximumPacketSize: maybe(rng, 0.3, () => rng.pick([0, 1, 20, 100, 0xffffffff])),
      topicAliasMaximum: maybe(rng, 0.3, () => rng.pick([0, 1, 3, 65_535])),
      requestResponseInformation: maybe(rng, 0.2, () => rng.chance(0.5)),
      requestProblemInformation: maybe(rng, 0.2, () => rng.chance(0.5)),
      userProperties: userProperties(rng),
      authenticationMethod: maybe(rng, 0.1, () => randomString(rng, 8)),
      authenticationData: maybe(rng, 0.1, () => rng.bytes(rng.int(8)))
    })
    if (properties !== undefined) packet.properties = properties
  }
  return packet
}

function publish(rng: Rng, version: Version): Packet {
  const q = qos(rng)
  const alias = version === 5 && rng.chance(0.2) ? rng.pick([0, 1, 2, 3, 64, 65, 65_535]) : undefined
  return {
    cmd: 'publish',
    topic: alias !== undefined && rng.chance(0.5) ? '' : topic(rng),
    payload: payload(rng),
    qos: q,
    dup: rng.chance(0.1),
    retain: rng.chance(0.15),
    ...(q > 0 || rng.chance(0.05) ? { messageId: messageId(rng) } : {}),
    ...(version === 5 && rng.chance(0.5)
      ? {
          properties: defined({
            payloadFormatIndicator: maybe(rng, 0.2, () => rng.chance(0.5)),
            messageExpiryInterval: maybe(rng, 0.2, () => u32(rng)),
            topicAlias: alias,
            responseTopic: maybe(rng, 0.15, () => topic(rng)),
            correlationData: maybe(rng, 0.15, () => rng.bytes(rng.int(16))),
            userProperties: userProperties(rng),
            subscriptionIdentifier: maybe(rng, 0.05, () => rng.pick([1, 0, 268_435_455])),
            contentType: maybe(rng, 0.15, () => randomString(rng, 10))
          })
        }
      : {})
  } as Packet
}

function subscribe(rng: Rng, version: Version): Packet {
  const subscriptions = []
  for (let i = rng.chance(0.05) ? 0 : rng.range(1, 4); i > 0; i--) {
    subscriptions.push({
      topic: filter(rng),
      qos: qos(rng),
      ...(version === 5 ? { nl: rng.chance(0.3), rap: rng.chance(0.3), rh: rng.chance(0.05) ? 3 : rng.int(3) } : {})
    })
  }
  return {
    cmd: 'subscribe',
    messageId: messageId(rng),
    subscriptions,
    ...(version === 5 && rng.chance(0.4)
      ? {
          properties: defined({
            subscriptionIdentifier: maybe(rng, 0.6, () => rng.pick([1, 2, 0, 268_435_455])),
            userProperties: userProperties(rng)
          })
        }
      : {})
  } as Packet
}

function unsubscribe(rng: Rng, version: Version): Packet {
  const unsubscriptions = []
  for (let i = rng.chance(0.05) ? 0 : rng.range(1, 4); i > 0; i--) unsubscriptions.push(filter(rng))
  return {
    cmd: 'unsubscribe',
    messageId: messageId(rng),
    unsubscriptions,
    ...(version === 5 && rng.chance(0.3) ? { properties: reasonProps(rng) } : {})
  } as Packet
}

function ack(rng: Rng, version: Version, cmd: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp'): Packet {
  return {
    cmd,
    messageId: messageId(rng),
    ...(version === 5 && rng.chance(0.5) ? { reasonCode: rng.pick([0, 0x10, 0x80, 0x92, 0x97, 0xff]) } : {}),
    ...(version === 5 && rng.chance(0.2) ? { properties: reasonProps(rng) } : {})
  } as Packet
}

function disconnect(rng: Rng, version: Version): Packet {
  return {
    cmd: 'disconnect',
    ...(version === 5 && rng.chance(0.5) ? { reasonCode: rng.pick([0, 4, 0x80, 0x8e]) } : {}),
    ...(version === 5 && rng.chance(0.3)
      ? {
          properties: defined({
            sessionExpiryInterval: maybe(rng, 0.5, () => u32(rng)),
            reasonString: maybe(rng, 0.3, () => randomString(rng, 10))
          })
        }
      : {})
  } as Packet
}

function auth(rng: Rng): Packet {
  return {
    cmd: 'auth',
    reasonCode: rng.pick([0, 0x18, 0x19]),
    properties: defined({
      authenticationMethod: maybe(rng, 0.7, () => randomString(rng, 8)),
      authenticationData: maybe(rng, 0.5, () => rng.bytes(8))
    })
  } as Packet
}

/** Packets only a server sends: a client sending them is a protocol error. */
function serverOnly(rng: Rng, version: Version): Packet {
  switch (rng.int(4)) {
    case 0:
      return { cmd: 'connack', sessionPresent: rng.chance(0.5), ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }) }
    case 1:
      return { cmd: 'suback', messageId: messageId(rng), granted: [0, 1, 2, 0x80] }
    case 2:
      return { cmd: 'unsuback', messageId: messageId(rng), granted: version === 5 ? [0] : [] } as Packet
    default:
      return { cmd: 'pingresp' }
  }
}

/** A random packet object of any type; mostly the ones a connected client sends. */
export function randomPacket(rng: Rng, version: Version): Packet {
  const r = rng.int(100)
  if (r < 35) return publish(rng, version)
  if (r < 50) return subscribe(rng, version)
  if (r < 57) return unsubscribe(rng, version)
  if (r < 72) return ack(rng, version, rng.pick(['puback', 'pubrec', 'pubrel', 'pubcomp'] as const))
  if (r < 79) return { cmd: 'pingreq' }
  if (r < 83) return disconnect(rng, version)
  if (r < 88) return version === 5 ? auth(rng) : { cmd: 'pingreq' }
  if (r < 95) return connect(rng, version)
  return serverOnly(rng, version)
}

/** The packet encoded, or undefined when mqtt-packet refuses the random fields. */
export function encode(packet: Packet, version: Version): Buffer | undefined {
  try {
    return mqtt.generate(packet, { protocolVersion: version })
  } catch {
    return undefined
  }
}

/** A variable byte integer of 1 to 5 bytes, whatever it says (5 bytes is always malformed). */
function randomVarint(rng: Rng): Buffer {
  const length = rng.range(1, 5)
  const out = rng.bytes(length)
  for (let i = 0; i < length - 1; i++) out[i]! |= 0x80
  out[length - 1]! &= 0x7f
  if (rng.chance(0.2)) out[length - 1]! |= 0x80 // never ends
  return out
}

/** Where the fixed header ends: 1 + the length of the remaining-length field (at most 4). */
function headerLength(bytes: Buffer): number {
  let pos = 1
  while (pos < bytes.length && pos < 5 && (bytes[pos]! & 0x80) !== 0) pos++
  return Math.min(pos + 1, bytes.length)
}

export type MutationKind = 'bitflip' | 'truncate' | 'insert' | 'delete' | 'varint' | 'flags' | 'type' | 'level' | 'splice' | 'overwrite'

/** One mutation of a valid packet; `other` is a second packet for splicing. */
export function mutate(rng: Rng, bytes: Buffer, other: Buffer): { kind: MutationKind; bytes: Buffer } {
  const b = Buffer.from(bytes)
  const kind = rng.pick<MutationKind>([
    'bitflip',
    'bitflip',
    'truncate',
    'insert',
    'delete',
    'varint',
    'flags',
    'type',
    'level',
    'splice',
    'overwrite'
  ])
  switch (kind) {
    case 'bitflip':
      for (let i = rng.range(1, 8); i > 0; i--) {
        const at = rng.int(b.length)
        b[at]! ^= 1 << rng.int(8)
      }
      return { kind, bytes: b }
    case 'truncate':
      return { kind, bytes: b.subarray(0, rng.int(b.length)) }
    case 'insert': {
      const at = rng.int(b.length + 1)
      return { kind, bytes: Buffer.concat([b.subarray(0, at), rng.bytes(rng.range(1, 16)), b.subarray(at)]) }
    }
    case 'delete': {
      const at = rng.int(b.length)
      return { kind, bytes: Buffer.concat([b.subarray(0, at), b.subarray(at + rng.range(1, 8))]) }
    }
    case 'varint':
      return { kind, bytes: Buffer.concat([b.subarray(0, 1), randomVarint(rng), b.subarray(headerLength(b))]) }
    case 'flags':
      b[0] = (b[0]! & 0xf0) | rng.int(16)
      return { kind, bytes: b }
    case 'type':
      b[0] = (rng.int(16) << 4) | (b[0]! & 0x0f)
      return { kind, bytes: b }
    case 'level': {
      // CONNECT: the protocol level follows the protocol name; anything else gets a random byte there.
      const at = headerLength(b) + 2 + (b.length > headerLength(b) + 1 ? b.readUInt16BE(headerLength(b)) : 0)
      if (at < b.length) b[at] = rng.chance(0.5) ? rng.pick([0, 1, 2, 6, 0x83, 0x84, 0x85, 0xff]) : rng.int(256)
      return { kind, bytes: b }
    }
    case 'splice':
      return { kind, bytes: Buffer.concat([b.subarray(0, rng.int(b.length + 1)), other.subarray(rng.int(other.length + 1))]) }
    case 'overwrite': {
      const at = rng.int(b.length)
      rng.bytes(Math.min(rng.range(1, 4), b.length - at)).copy(b, at)
      return { kind, bytes: b }
    }
  }
}

export type FuzzKind = 'valid' | 'mutated' | 'random'

/**
 * A packet's bytes: valid (`validShare`), a mutation of a valid one or random bytes (the rest,
 * 70 : 30). Connections past CONNECT send mostly valid packets, so that their state gets deep before
 * a malformed one ends them.
 */
export function fuzzBytes(rng: Rng, version: Version, validShare = 0.5): { kind: FuzzKind; bytes: Buffer } {
  const r = rng.next()
  if (r < validShare + (1 - validShare) * 0.7) {
    const bytes = validBytes(rng, version)
    if (r < validShare) return { kind: 'valid', bytes }
    return { kind: 'mutated', bytes: mutate(rng, bytes, validBytes(rng, version)).bytes }
  }
  if (rng.chance(0.5)) {
    // a plausible fixed header (any type, any flags, a short remaining length) over random bytes
    const body = rng.bytes(rng.int(40))
    return { kind: 'random', bytes: Buffer.concat([Buffer.from([rng.int(256), body.length]), body]) }
  }
  return { kind: 'random', bytes: rng.bytes(rng.range(1, 64)) }
}

function validBytes(rng: Rng, version: Version): Buffer {
  for (;;) {
    // A version other than the connection's now and then: the broker must parse by its own.
    const encodeAs: Version = rng.chance(0.1) ? rng.pick([3, 4, 5] as const) : version
    const bytes = encode(randomPacket(rng, encodeAs), encodeAs)
    if (bytes !== undefined) return bytes
  }
}
