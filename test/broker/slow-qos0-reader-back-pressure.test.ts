import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { Socket } from 'node:net'
import { type TestContext, test } from 'node:test'
import mqtt from 'mqtt-packet'
import { startBroker } from '../helpers/broker.js'
import { startCliBroker } from '../helpers/cli-broker.js'
import { connectRaw, type RawConnected, rawSubscribe } from '../helpers/flow-clients.js'

// A QoS 0 subscriber's messages are written to its socket at once; one that reads slower than its publishers send
// holds them once its socket's backlog passes a mark (256 KiB, or half of max_queued_bytes), as a QoS 1 subscriber's
// queue does (slow-subscriber-back-pressure.test.ts).

const TOPIC = 'bp/q0'
/** 64 QoS 0 PUBLISHes of 1000 bytes each, written by the publisher as one batch. */
const BATCH = Buffer.concat(
  Array.from({ length: 64 }, () =>
    mqtt.generate({ cmd: 'publish', topic: TOPIC, payload: Buffer.alloc(1000, 0x61), qos: 0, retain: false, dup: false })
  )
)
const MB = 1024 * 1024

function drainOrTimeout(socket: Socket, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      socket.off('drain', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    socket.once('drain', done)
  })
}

/** Publishes as fast as the broker reads for `ms`; the bytes the publisher's socket took. */
async function publishFor(publisher: RawConnected, ms: number): Promise<number> {
  const socket = publisher.raw.socket
  const end = Date.now() + ms
  let sent = 0
  while (Date.now() < end && !publisher.raw.isClosed) {
    sent += BATCH.length
    if (!socket.write(BATCH)) await drainOrTimeout(socket, end - Date.now())
  }
  return sent
}

/** A raw subscriber to TOPIC at QoS 0 that reads a little every 50 ms; how many bytes it has read so far. */
async function slowReader(t: TestContext, port: number): Promise<() => number> {
  const sub = await connectRaw(t, port, 4)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: TOPIC, qos: 0 }]), [0])
  const socket = sub.raw.socket
  let received = 0
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length
  })
  socket.pause()
  // What the socket holds, at most one read's worth (64 KiB): about 1 MB a second.
  const timer = setInterval(() => socket.read(), 50)
  t.after(() => clearInterval(timer))
  return () => received
}

function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(match![1])
}

test('a fast QoS 0 publisher to a slow reader is slowed down, not disconnected, and the broker stays small', async (t) => {
  // A queue limit that never fills, as the bench sets it: only the back-pressure bounds the broker's memory.
  const broker = await startCliBroker(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--max-queued-bytes', String(4 * 1024 * MB), '--sys-interval', '0'],
    1
  )
  const pid = broker.child.pid!
  const port = Number(new URL(broker.urls[0]).port)
  const received = await slowReader(t, port)
  const publisher = await connectRaw(t, port, 4)
  const rssBefore = procStatusKb(pid, 'VmRSS')

  const sent = await publishFor(publisher, 4000)

  const peakGrowthMb = (procStatusKb(pid, 'VmHWM') - rssBefore) / 1024
  const ahead = (sent - received()) / MB
  t.diagnostic(`sent ${(sent / MB).toFixed(1)} MB, read ${(received() / MB).toFixed(1)} MB, broker peak +${peakGrowthMb.toFixed(1)} MB`)
  assert.equal(publisher.raw.isClosed, false)
  assert.ok(received() > 0)
  // What the publisher got ahead of the reader sits in socket buffers (the kernel's, on both sides of the broker,
  // and at most a mark's worth in the broker); without the hold the broker would take all it is sent.
  assert.ok(ahead < 32, `the publisher got ${ahead.toFixed(1)} MB ahead of the reader`)
  assert.ok(peakGrowthMb < 48, `the broker grew by ${peakGrowthMb.toFixed(1)} MB`)
})

test('a QoS 0 subscriber that reads nothing holds its publisher for a while, then loses its messages, counted', async (t) => {
  // drainTimeout 4 s: the stall bound is 2 s (half of it), and the subscriber is cut off at 4 s.
  const running = await startBroker({ drainTimeout: 4, maxQueuedBytes: 4 * 1024 * MB })
  t.after(() => running.close())
  const sub = await connectRaw(t, running.port, 4)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: TOPIC, qos: 0 }]), [0])
  sub.raw.socket.pause()
  const publisher = await connectRaw(t, running.port, 4)

  const started = Date.now()
  let firstDropAt: number | undefined
  const watch = setInterval(() => {
    if (firstDropAt === undefined && running.broker.stats.messagesDropped > 0) firstDropAt = Date.now() - started
  }, 20)
  t.after(() => clearInterval(watch))
  await publishFor(publisher, 2500)
  // Once the subscriber is stalled the publisher is read again, and goes on at full speed.
  const sentAfterStall = await publishFor(publisher, 1000)

  t.diagnostic(`first drop after ${firstDropAt} ms, ${(sentAfterStall / MB).toFixed(1)} MB sent in the last second`)
  assert.equal(publisher.raw.isClosed, false)
  assert.ok(firstDropAt !== undefined, 'no message was dropped')
  assert.ok(firstDropAt >= 1500, `the first drop came ${firstDropAt} ms in: the publisher was not held first`)
  assert.ok(sentAfterStall > 2 * MB, `the publisher sent only ${(sentAfterStall / MB).toFixed(1)} MB once the subscriber stalled`)
  assert.ok(running.broker.stats.messagesDropped > 1000)
})
