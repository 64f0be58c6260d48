import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SessionFollower } from '../../../broker/cluster/session-follower.js'
import { sleep } from '../../helpers/silence.js'

const nowhere = { holds: () => false, holder: async () => undefined }

test('a session that left is followed for its matching topics, until it comes back or has been gone too long', async () => {
  const follower = new SessionFollower(50)
  follower.followWith(nowhere)
  const clients = new Set(['a', 'b', 'c'])
  follower.leaving('a', ['plant/+/temp'])
  follower.leaving('b', ['plant/#'])
  assert.deepEqual(follower.gone('plant/1/temp', clients), ['a', 'b'])
  assert.deepEqual(follower.gone('plant/1/setpoint', clients), ['b'], 'only matching filters')
  follower.back('b')
  assert.deepEqual(follower.gone('plant/1/temp', clients), ['a'], 'back here: not followed')
  await sleep(80)
  follower.leaving('c', ['plant/#'])
  assert.deepEqual(follower.gone('plant/1/temp', clients), ['c'], 'a session gone longer than the follow time is dropped')
})
