import { mutate } from './mutate.js'
import { encode, randomPacket, type Version } from './random-packet.js'
import type { Rng } from './rng.js'

/**
 * What the fuzzer sends: valid packets of every type and protocol version with random fields
 * (mqtt-packet's `generate`), mutations of them, and plain random bytes. Everything comes from one
 * seeded PRNG, so a worker given the same seed sends the same sequence.
 */

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
