import type { QoS } from 'mqtt-packet'
import type { Rng } from './rng.js'

/**
 * The fields a fuzzed packet is built from: topics, filters, client ids, payloads, QoS, packet ids and
 * properties, mostly from lists of awkward values and now and then made up.
 */

/** Client ids the fuzzer may use: a small pool (so sessions are taken over and resumed), never the good clients'. */
export const FUZZ_ID_POOL = 64

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
  `${'l/'.repeat(80)}deep`,
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
  `${'l/'.repeat(80)}#`,
  'f'.repeat(5000),
  '\u0000',
  'retained/#',
  '$share/g/fuzz/ok/#'
]
const ALPHABET = ['a', 'b', '/', '/', '+', '#', '$', ' ', 'é', '€', '𝄞', '\u0000', '\uD800', 'z', '0']

export function randomString(rng: Rng, maxLength: number): string {
  let s = ''
  const n = rng.int(maxLength + 1)
  for (let i = 0; i < n; i++) s += rng.pick(ALPHABET)
  return s
}

export function topic(rng: Rng): string {
  if (rng.chance(0.7)) return rng.pick(TOPICS)
  const s = randomString(rng, 12)
  return s.startsWith('fuzz') ? `x${s}` : s
}

export function filter(rng: Rng): string {
  return rng.chance(0.75) ? rng.pick(FILTERS) : randomString(rng, 12)
}

export function clientId(rng: Rng): string {
  const r = rng.next()
  if (r < 0.8) return `fz${rng.int(FUZZ_ID_POOL)}`
  if (r < 0.9) return ''
  return `fr${randomString(rng, 10)}` // a fresh one now and then; "fr" keeps it clear of the good ids
}

export function payload(rng: Rng): Buffer {
  const r = rng.next()
  if (r < 0.9) return rng.bytes(rng.int(64))
  if (r < 0.98) return rng.bytes(rng.int(2048))
  if (r < 0.995) return Buffer.alloc(rng.range(60_000, 70_000), 0x61) // around the 64 KiB limit
  return Buffer.alloc(rng.range(100_000, 300_000), 0x62) // over it
}

export function qos(rng: Rng): QoS {
  return (rng.chance(0.03) ? 3 : rng.int(3)) as QoS // 3 is invalid on purpose; generate may refuse it
}

export function messageId(rng: Rng): number {
  return rng.chance(0.05) ? rng.pick([0, 65_535, 65_536]) : rng.range(1, 20)
}

export function u32(rng: Rng): number {
  return rng.pick([0, 1, 2, 10, 60, 0xffff, 0xffffffff, rng.int(0x100000000)])
}

export function userProperties(rng: Rng): Record<string, string | string[]> | undefined {
  if (!rng.chance(0.3)) return undefined
  const out: Record<string, string | string[]> = {}
  for (let i = rng.int(4); i >= 0; i--) out[randomString(rng, 6)] = rng.chance(0.2) ? [randomString(rng, 5), ''] : randomString(rng, 8)
  return out
}

/** Drops the undefined entries, so that `generate` writes only chosen properties. */
export function defined<T extends object>(props: T): T | undefined {
  const out = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined)) as T
  return Object.keys(out).length > 0 ? out : undefined
}

export function maybe<T>(rng: Rng, p: number, make: () => T): T | undefined {
  return rng.chance(p) ? make() : undefined
}

export function reasonProps(rng: Rng): { reasonString?: string; userProperties?: Record<string, string | string[]> } | undefined {
  return defined({ reasonString: maybe(rng, 0.2, () => randomString(rng, 20)), userProperties: userProperties(rng) })
}
