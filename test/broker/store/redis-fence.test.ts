import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { RedisCommand } from '../../../broker/store/redis-batch.js'
import { fenceCommands, type SessionFence } from '../../../broker/store/redis-fence.js'
import { RedisKeys } from '../../../broker/store/redis-keys.js'

// How a batch is laid out for fencing: each run of one session's writes in one script, in order (issue 16).

const keys = new RedisKeys('p:')

function fence(tokens: Record<string, string>): SessionFence & { refusedIds: string[] } {
  const refusedIds: string[] = []
  return {
    refusedIds,
    tokenOf: (clientId) => tokens[clientId],
    refused: (clientId) => refusedIds.push(clientId),
    sessionsToRestore: async () => Object.keys(tokens)
  }
}

test("consecutive writes of one session share one script; reads, other sessions' and broker-wide commands keep their place", () => {
  const commands: RedisCommand[] = [
    ['rpush', keys.queue('a'), 'm1'],
    ['incrby', keys.queueBytes('a'), 2],
    ['lrange', keys.queue('a'), 0, 9], // a read
    ['sadd', keys.sessions, 'a'],
    ['del', keys.session('b}x'), keys.queue('b}x')],
    ['hset', keys.retained, 't', 'r']
  ]
  const held = fence({ a: 'n:1', 'b}x': 'n:4' })
  const fenced = fenceCommands(commands, (index) => index === 2, keys, held)
  assert.deepEqual(
    fenced.commands.map((command) => command[0]),
    ['eval', 'lrange', 'sadd', 'eval', 'hset']
  )
  const [, , declared, lease, ...rest] = fenced.commands[0]
  assert.equal(declared, 3, 'the lease and the two keys the writes touch')
  assert.equal(lease, keys.lease('a'))
  assert.deepEqual(rest, [
    keys.queue('a'),
    keys.queueBytes('a'),
    'n:1',
    3,
    'rpush',
    keys.queue('a'),
    'm1',
    3,
    'incrby',
    keys.queueBytes('a'),
    2
  ])
  assert.equal(fenced.commands[3][3], keys.lease('b}x'), 'a client id holding a brace is still read whole from its keys')

  const answers = fenced.unfence([
    [null, 1],
    [null, ['m1']],
    [null, 1],
    [null, 0],
    [null, 1]
  ])
  assert.deepEqual(held.refusedIds, ['b}x'], 'the script answered 0: refused')
  assert.deepEqual(answers[2], [null, ['m1']], 'the read gets its own answer back in place')
  assert.equal(answers.length, commands.length)
})

test('writes of a session this node holds no lease of are left out, and the session reported', () => {
  const held = fence({})
  const fenced = fenceCommands(
    [
      ['set', keys.session('x'), '{}'],
      ['sadd', keys.sessions, 'x']
    ],
    () => false,
    keys,
    held
  )
  assert.deepEqual(
    fenced.commands.map((command) => command[0]),
    ['sadd']
  )
  const answers = fenced.unfence([[null, 1]])
  assert.deepEqual(answers, [
    [null, null],
    [null, 1]
  ])
  assert.deepEqual(held.refusedIds, ['x'])
})
