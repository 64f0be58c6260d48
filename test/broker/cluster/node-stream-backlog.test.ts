import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { ClusterKeys, STREAM_GROUP } from '../../../broker/cluster/cluster-keys.js'
import { encodeRecordHead } from '../../../broker/cluster/forwarded-codec.js'
import { NodeStream } from '../../../broker/cluster/node-stream.js'
import { startRedisServer } from '../../helpers/redis-server.js'

// A node appending to another node's stream faster than Redis takes the appends makes its publishers wait, rather
// than keeping every unsent append in memory (and queueing its own liveness renewal behind them).

test('appends Redis has not taken past a high mark hold their publishers until Redis catches up', async (t) => {
  const redis = await startRedisServer()
  const keys = new ClusterKeys(`backlog-${process.pid}:`)
  const look = new Redis(redis.url)
  await look.xgroup('CREATE', keys.stream('node-b@1'), STREAM_GROUP, '0', 'MKSTREAM')
  const connections = { commands: new Redis(redis.url), reader: new Redis(redis.url) }
  const sink = {
    deliverForwarded: () => {},
    durable: async () => {},
    held: () => undefined,
    holding: () => undefined,
    had: () => {},
    adoptedFrom: () => undefined,
    handedOverFrom: () => undefined
  }
  const stream = new NodeStream('node-a@1', connections, keys, sink, pino({ level: 'silent' }))
  await stream.start()
  // One clean-up, in this order: Redis must be running again before the stream stops, and stopped last.
  t.after(async () => {
    process.kill(redis.pid, 'SIGCONT')
    await stream.stop()
    connections.commands.disconnect()
    look.disconnect()
    await redis.stop()
  })

  const body = Buffer.alloc(1000, 'x')
  const head = encodeRecordHead({ plain: true, groups: [], publisher: 'node-a@1' }, 'node-a@1', body.length)
  process.kill(redis.pid, 'SIGSTOP') // Redis takes nothing for now
  let appended = 0
  let backlog: Promise<void> | undefined
  for (; backlog === undefined && appended < 100_000; appended++) {
    stream.append('node-b@1', head, body)
    backlog = stream.backlog()
  }
  assert.ok(backlog !== undefined, 'publishers are held once enough is unsent')
  assert.ok(appended > 1000, `not held while little is unsent (held after ${appended} appends)`)
  assert.ok(appended * (head.length + body.length) < 16 * 1024 * 1024, 'held before 16 MB are kept unsent')
  let cleared = false
  void backlog.then(() => {
    cleared = true
  })
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(cleared, false, 'held while Redis takes nothing')
  process.kill(redis.pid, 'SIGCONT')
  await backlog
  assert.equal(stream.backlog(), undefined, 'nobody is held once Redis has caught up')
  await stream.flush()
  const entries = await look.xlen(keys.stream('node-b@1'))
  assert.ok(entries > 0, 'the appends reached the stream')
})
