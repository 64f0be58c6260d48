import assert from 'node:assert/strict'
import { test } from 'node:test'
import { RecoveryOverlap } from '../../../broker/cluster/recovery-overlap.js'

// A node gives each message to a session that just came to it once, by identity, whichever way its copies come.

test('a session that just came gets a relayed copy of a message it missed, and nothing twice', () => {
  const overlap = new RecoveryOverlap()
  assert.equal(overlap.isOpen(), false, 'no bookkeeping while no session came')
  // Routed here live before the session was here: it missed it, so the relayed copy goes to it.
  overlap.arrived('bystander')
  overlap.routedLive('p#1')
  overlap.arrived('moved')
  assert.deepEqual([...overlap.drained('p#1', new Set(['moved']))], ['moved'])
  assert.deepEqual([...overlap.drained('p#1', new Set(['moved']))], [], 'a second copy goes nowhere')
  // Routed live after it came: it had it; the relayed copy goes nowhere.
  overlap.routedLive('p#2')
  assert.deepEqual([...overlap.drained('p#2', new Set(['moved']))], [])
  // Relayed first: the live copy skips it.
  assert.deepEqual([...overlap.drained('p#3', new Set(['moved']))], ['moved'])
  assert.deepEqual([...(overlap.routedLive('p#3') ?? [])], ['moved'])
  assert.equal(overlap.recording('moved'), true)
  assert.equal(overlap.recording('never-came'), false)
})

test('what a session had before it came (recorded with it) reaches it by no path', () => {
  const overlap = new RecoveryOverlap()
  overlap.arrived('moved')
  overlap.had('moved', ['p#1', 'q#9'])
  assert.deepEqual([...overlap.drained('p#1', new Set(['moved', 'other']))], ['other'])
  assert.deepEqual([...(overlap.routedLive('q#9') ?? [])], ['moved'])
})

test('copies that keep coming keep the window open: a node reading its stream late still gives the session one', (t) => {
  t.mock.timers.enable({ apis: ['Date'] })
  const overlap = new RecoveryOverlap()
  overlap.arrived('moved')
  t.mock.timers.tick(15_000)
  assert.deepEqual([...overlap.drained('p#1', new Set(['moved']))], ['moved'])
  // 30 s after the session came, its live twin is read: the session had it.
  t.mock.timers.tick(15_000)
  assert.equal(overlap.recording('moved'), true)
  assert.deepEqual([...(overlap.routedLive('p#1') ?? [])], ['moved'])
  // Nothing came for a whole window: everything is forgotten.
  t.mock.timers.tick(25_000)
  assert.equal(overlap.isOpen(), false)
  assert.equal(overlap.recording('moved'), false)
})

test('a message routed live is noted only when a session it reaches here came lately', () => {
  const overlap = new RecoveryOverlap()
  const reached = (...clientIds: string[]) => clientIds.map((clientId) => ({ session: { clientId } }))
  overlap.arrived('moved')
  assert.equal(overlap.liveIdentityOf('n1@a', { id: 7 }, reached('settled', 'other')), undefined, 'no session that came: nothing noted')
  assert.equal(overlap.liveIdentityOf('n1@a', { id: 7 }, reached('settled', 'moved')), overlap.identityOf('n1@a', { id: 7 }))
})
