import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeEntry } from '../../../broker/cluster/forwarded-codec.js'
import { RELAY_GRACE_MS } from '../../../broker/cluster/session-relay.js'
import { sleep } from '../../helpers/silence.js'
import { parkedSession, qos2Message, receivedOnce } from './parked-session.js'

/** A node that heard of the dead member late, as NodeStream sends it: its own member, and a message published there. */
const LATE_SENDER = 'n9@late'

/**
 * A message a late sender appended to a dead member's stream reaches its recoverer (redirected, node-stream.ts) for
 * the sessions adopted from that member. When such a session has meanwhile moved on to a third node, and that node's
 * relay is over (session-relay.ts), the recoverer sends the copy on to whoever holds the session's lease now, as a
 * copy for that client with the message's identity: it arrives, once, however long after the move.
 */
test('a message redirected from a dead member reaches its session after the session moved on', { timeout: 90_000 }, async (t) => {
  const { nodes, look, members, subscriber } = await parkedSession(t, 'late-sub', 'late/#', 1)
  nodes[1].child.kill('SIGKILL')
  let recoverer: string | null = null
  for (const deadline = Date.now() + 30_000; recoverer === null; await sleep(100)) {
    assert.ok(Date.now() < deadline, 'the dead node was recovered within 30 s')
    recoverer = await look.get(`tp:{cluster}:moved:${members[1]}`)
  }
  const holder = recoverer === members[0] ? 2 : 0
  const connack = await subscriber.connect(nodes[holder].urls[0])
  assert.equal(connack.sessionPresent, true, 'the session moved on to the third node')
  await sleep(RELAY_GRACE_MS + 1000)

  // Two late senders with the same message (one published message, appended twice): given to the session once.
  for (let copy = 0; copy < 2; copy++) {
    const message = qos2Message(7, 'late/x', 'late-1')
    const entry = encodeEntry(LATE_SENDER, [{ message, plain: true, groups: [], publisher: LATE_SENDER }])
    await look.xadd(`tp:{cluster}:stream:${recoverer}`, '*', 'm', entry, 'f', members[1])
  }
  await receivedOnce(subscriber, 'late-1', 'the redirected message')
})
