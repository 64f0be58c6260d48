import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Redis } from 'ioredis'
import { encodeEntry } from '../../../broker/cluster/forwarded-codec.js'
import { sleep } from '../../helpers/silence.js'
import { parkedSession, qos2Message, receivedOnce } from './parked-session.js'

const CLIENT = 'held-sub'

/** The last entry of `member`'s stream its consumer group has read (XINFO GROUPS last-delivered-id). */
async function lastRead(redis: Redis, member: string): Promise<string> {
  const groups = (await redis.xinfo('GROUPS', `tp:{cluster}:stream:${member}`)) as unknown[][]
  const fields = groups[0] ?? []
  return String(fields[fields.indexOf('last-delivered-id') + 1])
}

/**
 * A node taking a session over holds what the old holder relays for it until the session is restored there
 * (cluster-router.ts). Here the old holder (n1) has let the session go and relayed a QoS 2 message to the new one (n2),
 * then stops answering; n2 dies while it still waits for the session. The relayed stream entry must not have been
 * acknowledged: the node recovering n2 finds it in n2's stream and sends it on to the session, which n3 ends up
 * holding (it recovers n1 too), and the message arrives once.
 */
test('a relayed message held for a session on its way survives the crash of the node it was going to', { timeout: 90_000 }, async (t) => {
  const { nodes, look, members, subscriber } = await parkedSession(t, CLIENT, 'held/#', 0)
  // n1 stops answering; a connection to n2 makes n2 take the session on (it waits for n1 to let it go meanwhile).
  nodes[0].child.kill('SIGSTOP')
  subscriber.connect(nodes[1].urls[0]).catch(() => {})
  await sleep(500)
  const message = qos2Message(5, 'held/x', 'held-1')
  const entry = encodeEntry(members[0], [{ message, plain: true, groups: [], client: CLIENT, publisher: members[0] }])
  const id = await look.xadd(`tp:{cluster}:stream:${members[1]}`, '*', 'm', entry)
  for (const deadline = Date.now() + 5000; (await lastRead(look, members[1])) !== id; await sleep(20)) {
    assert.ok(Date.now() < deadline, 'n2 read the relayed entry')
  }
  await sleep(300) // time for n2 to have acknowledged it, were it to do so before the session is here
  nodes[1].child.kill('SIGKILL')
  nodes[0].child.kill('SIGKILL')
  subscriber.drop()

  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    const moved = await Promise.all([look.get(`tp:{cluster}:moved:${members[0]}`), look.get(`tp:{cluster}:moved:${members[1]}`)])
    if (moved.every((member) => member === members[2])) break
    assert.ok(Date.now() < deadline, 'n3 recovered both dead nodes within 30 s')
  }
  const connack = await subscriber.connect(nodes[2].urls[0])
  assert.equal(connack.sessionPresent, true, 'the session is on n3')
  await receivedOnce(subscriber, 'held-1', 'the relayed message')
})
