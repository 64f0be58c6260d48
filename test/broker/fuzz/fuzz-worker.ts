import { connect as netConnect, type Socket } from 'node:net'
import { sleep } from '../../helpers/silence.js'
import { FUZZ_BROKER_OPTIONS } from './fuzz-broker-options.js'
import { type FuzzKind, fuzzBytes } from './fuzz-bytes.js'
import { encode, type Version, validConnect } from './random-packet.js'
import type { Rng } from './rng.js'

/** What the fuzz connections did, counted by every worker into one tally. */
export interface ConnectionTally {
  packets: number
  bytes: number
  byKind: Record<FuzzKind, number>
  connects: number
  connectionsOpened: number
  /** Connections the broker closed (the others the fuzzer ended itself). */
  closedByBroker: number
  /** Connections that sent a partial packet or nothing at all, and whether the connect timeout closed them. */
  idlers: number
  idlersNotClosed: number
}

/** One fuzz connection after another until `done`. */
export async function fuzzWorker(port: number, rng: Rng, tally: ConnectionTally, done: () => boolean): Promise<void> {
  while (!done()) {
    const socket = await open(port)
    if (socket === undefined) {
      await sleep(10)
      continue
    }
    tally.connectionsOpened++
    let closed = false
    let endedByUs = false
    const closedPromise = new Promise<void>((resolve) =>
      socket.once('close', () => {
        closed = true
        if (!endedByUs) tally.closedByBroker++
        resolve()
      })
    )
    socket.on('data', () => {}) // read (and drop) what the broker answers, so that it never blocks on us
    socket.on('error', () => {})

    if (rng.chance(0.01)) {
      // Nothing, or the start of a packet: only the connect timeout may end this one.
      tally.idlers++
      socket.write(rng.bytes(rng.int(3)))
      const timedOut = await Promise.race([
        closedPromise.then(() => false),
        sleep(FUZZ_BROKER_OPTIONS.connectTimeout! * 1000 + 3000).then(() => true)
      ])
      if (timedOut) tally.idlersNotClosed++
      endedByUs = true
      socket.destroy()
      continue
    }

    const version: Version = rng.pick([3, 4, 5] as const)
    const connected = rng.chance(0.5)
    if (connected) {
      const connect = validConnect(rng, version)
      socket.write(encode(connect, version) ?? encode({ ...connect, will: undefined }, version)!)
      tally.connects++
    }
    const budget = rng.chance(0.2) ? rng.range(100, 400) : rng.range(1, 40)
    const fragment = rng.chance(0.2)
    for (let i = 0; i < budget && !closed && !done(); i++) {
      const { kind, bytes } = fuzzBytes(rng, version, connected ? 0.9 : 0.5)
      tally.packets++
      tally.byKind[kind]++
      tally.bytes += bytes.length
      let flushed = true
      if (fragment && bytes.length > 1) {
        const cut = 1 + rng.int(bytes.length - 1)
        socket.write(bytes.subarray(0, cut))
        flushed = socket.write(bytes.subarray(cut))
      } else {
        flushed = socket.write(bytes)
      }
      if (!flushed) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closedPromise])
      await new Promise((resolve) => setImmediate(resolve)) // let the broker read it (and close, if it will)
    }
    if (!closed) {
      endedByUs = true
      if (rng.chance(0.5)) socket.destroy()
      else socket.end()
    }
    await Promise.race([closedPromise, sleep(3000)])
    socket.destroy()
  }
}

function open(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port })
    socket.setNoDelay(true)
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => {
      socket.destroy()
      resolve(undefined)
    })
  })
}
