/**
 * The packets of one tick for one socket, joined into one Buffer so they go out in one plain write. In a fan-out
 * every subscriber at the same QoS 0 form is written the same Buffers in the same order within a tick (one encoded
 * form per message, shared by them all): the first such list is joined, and the subscribers after it whose list
 * holds the same Buffers get that joined Buffer too, instead of a copy each. Comparing the Buffers by identity is
 * enough: nothing changes a Buffer once it has been handed to a socket.
 *
 * Invariant: `lastJoined` holds exactly `lastFirst` followed by `lastRest`, and all three are from the current
 * round of flushes (connection-callbacks.ts forgets them when the round is over, so no Buffer is kept past it).
 */
let lastFirst: Buffer | undefined
const lastRest: Buffer[] = []
let lastJoined: Buffer | undefined

/** `first` followed by every Buffer in `rest`, `bytes` long in all. */
export function joinedPackets(first: Buffer, rest: readonly Buffer[], bytes: number): Buffer {
  if (lastJoined !== undefined && first === lastFirst && sameBuffers(rest, lastRest)) return lastJoined
  const joined = Buffer.allocUnsafe(bytes)
  let offset = first.copy(joined, 0)
  lastRest.length = 0
  for (let i = 0; i < rest.length; i++) {
    offset += rest[i].copy(joined, offset)
    lastRest.push(rest[i])
  }
  lastFirst = first
  lastJoined = joined
  return joined
}

/** The round of flushes is over: the Buffers of its last joined list are let go. */
export function forgetJoinedPackets(): void {
  lastFirst = undefined
  lastRest.length = 0
  lastJoined = undefined
}

function sameBuffers(a: readonly Buffer[], b: readonly Buffer[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
