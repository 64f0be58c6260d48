import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pino } from 'pino'
import type { ClientSocket } from '../../broker/listeners/client-socket.js'
import { SocketWriter } from '../../broker/socket-writer.js'
import { BrokerStats } from '../../broker/stats.js'

/** The calls a socket got, in order: each write's Buffer, and 'cork' / 'uncork'. */
type SocketCall = Buffer | 'cork' | 'uncork'

function recordingSocket(calls: SocketCall[]): ClientSocket {
  return {
    destroyed: false,
    writableLength: 0,
    setNoDelay: () => undefined,
    cork: () => calls.push('cork'),
    uncork: () => calls.push('uncork'),
    write: (chunk: Buffer) => calls.push(chunk) > 0,
    pause: () => undefined,
    resume: () => undefined,
    end: () => undefined,
    destroySoon: () => undefined,
    destroy: () => undefined,
    on: () => undefined,
    once: () => undefined
  }
}

/** A SocketWriter whose writes the test makes; the broker's connections make them for their packets. */
class TestWriter extends SocketWriter {
  readonly calls: SocketCall[] = []

  constructor(maxQueuedBytes = 1024 * 1024) {
    const calls: SocketCall[] = []
    super(recordingSocket(calls), {
      options: { drainTimeout: 10, maxQueuedBytes },
      stats: new BrokerStats(),
      logger: pino({ level: 'silent' })
    })
    this.calls = calls
  }

  get clientId(): string {
    return 'test'
  }

  send(bytes: Buffer): void {
    this.write(bytes)
  }
}

function endOfTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

test("a tick's packets to one socket go out in one write, in the order they were written", async () => {
  const writer = new TestWriter()
  writer.send(Buffer.from('one'))
  writer.send(Buffer.from('two'))
  writer.send(Buffer.from('three'))
  assert.deepEqual(writer.calls, [], 'nothing is written before the tick is over')
  await endOfTick()
  assert.deepEqual(writer.calls, [Buffer.from('onetwothree')])
})

test('subscribers written the same packets in a tick share one joined Buffer', async () => {
  const first = Buffer.from('first')
  const second = Buffer.from('second')
  const writers = [new TestWriter(), new TestWriter(), new TestWriter()]
  for (const writer of writers) {
    writer.send(first)
    writer.send(second)
  }
  const other = new TestWriter()
  other.send(first)
  other.send(Buffer.from('second'))
  await endOfTick()
  const joined = writers[0].calls[0]
  assert.deepEqual(joined, Buffer.from('firstsecond'))
  for (const writer of writers) assert.equal(writer.calls[0], joined)
  assert.deepEqual(other.calls, [Buffer.from('firstsecond')])
  assert.notEqual(other.calls[0], joined, 'another Buffer with the same bytes is not the same packet')
})

test('a lone packet goes out as it is, and large packets go out one by one in a corked socket', async () => {
  const lone = Buffer.from('lone')
  const alone = new TestWriter()
  alone.send(lone)
  const large = new TestWriter()
  const big = [Buffer.alloc(40 * 1024, 1), Buffer.alloc(40 * 1024, 2)]
  for (const bytes of big) large.send(bytes)
  await endOfTick()
  assert.equal(alone.calls[0], lone)
  assert.deepEqual(large.calls, ['cork', big[0], big[1], 'uncork'])
})

test("a tick's packets not yet written count towards the connection's backlog", () => {
  const writer = new TestWriter(10)
  writer.send(Buffer.alloc(6))
  assert.equal(writer.writableLength, 6)
  assert.equal(writer.isCongested, false)
  writer.send(Buffer.alloc(6))
  assert.equal(writer.isCongested, true, 'past max_queued_bytes before the tick is flushed')
  writer.flush()
  assert.equal(writer.writableLength, 0)
})
