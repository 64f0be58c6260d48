import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultMembershipTiming } from '../../../broker/cluster/node-membership.js'
import { releasedWaitMs, SessionFollower, type SessionHolders } from '../../../broker/cluster/session-follower.js'
import type { LeaseHolder } from '../../../broker/cluster/session-lease.js'
import { sleep } from '../../helpers/silence.js'

const nowhere: SessionHolders = { holds: () => false, holder: async () => undefined, sessionStored: async () => false }

/** Collects the follower's warnings. */
function warnings(): { warn: (details: object, message: string) => void; said: string[] } {
  const said: string[] = []
  return { warn: (_details, message) => said.push(message), said }
}

/** A session let go towards a node and stored, its lease released until `claimedAfterMs` (never, if undefined). */
function releasedFor(claimedAfterMs: number | undefined, claimer = 'n2@b'): SessionHolders {
  const since = Date.now()
  return {
    holds: () => false,
    holder: async (): Promise<LeaseHolder> =>
      claimedAfterMs !== undefined && Date.now() - since >= claimedAfterMs ? { node: claimer, epoch: 8 } : { node: '', epoch: 7 },
    sessionStored: async () => true
  }
}

test('a session that left is followed for its matching topics, until it comes back or has been gone too long', async () => {
  const follower = new SessionFollower(1000, warnings(), 50)
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

/**
 * The session was let go to a node that died before it claimed the lease: the lease stays released until that node's
 * recovery adopts the session, seconds later (liveness, detection, recovery). The copy goes there then, once.
 */
test('a copy for a session whose lease stays released past 2 s goes to the member that takes it up, once', async () => {
  const logger = warnings()
  const follower = new SessionFollower(releasedWaitMs(defaultMembershipTiming), logger)
  follower.followWith(releasedFor(2500, 'n3@recoverer'))
  const sentTo: string[] = []
  follower.sendOn('moved', (member) => {
    sentTo.push(member)
    return true
  })
  await follower.settled()
  assert.deepEqual(sentTo, ['n3@recoverer'])
  assert.deepEqual(logger.said, [])
})

test('a copy for a session that ended (its lease released, the session no longer stored) goes nowhere at once', async () => {
  const follower = new SessionFollower(releasedWaitMs(defaultMembershipTiming), warnings())
  follower.followWith({ ...releasedFor(undefined), sessionStored: async () => false })
  const sentTo: string[] = []
  follower.sendOn('ended', (member) => sentTo.push(member) > 0)
  const started = Date.now()
  await follower.settled()
  assert.deepEqual(sentTo, [])
  assert.ok(Date.now() - started < 1000, 'not waited for')
})

test('a released lease is waited for as long as a dead claimer takes to be found and recovered, and no longer', async () => {
  const { livenessMs, checkMs } = defaultMembershipTiming
  assert.ok(releasedWaitMs(defaultMembershipTiming) > livenessMs + checkMs + 5000, 'past detection, with a recovery’s time')
  const logger = warnings()
  const follower = new SessionFollower(300, logger)
  follower.followWith(releasedFor(undefined))
  const sentTo: string[] = []
  follower.sendOn('stuck', (member) => sentTo.push(member) > 0)
  await follower.settled()
  assert.deepEqual(sentTo, [])
  assert.equal(logger.said.length, 1, 'the dropped copy is logged')
})
