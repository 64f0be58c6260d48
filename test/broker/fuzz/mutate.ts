import type { Rng } from './rng.js'

/** Mutations of a valid packet's bytes, aimed at the places a parser trusts: the fixed header, lengths, the protocol level. */

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
