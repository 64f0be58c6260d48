import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { Redis } from 'ioredis'
import { pino } from 'pino'
import { ClusterKeys, newIncarnation, nodeOfMember } from '../../../broker/cluster/cluster-keys.js'
import { NodeMembership } from '../../../broker/cluster/node-membership.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { sleep } from '../../helpers/silence.js'
import { startClusterNodes } from './cluster-nodes.js'

// Membership: a killed node is noticed within 5 s and recovered by exactly one node; release requests reach the
// node that holds a session, are sent again when unanswered, and end when that node is gone.

const fast = { livenessMs: 1500, renewMs: 500, checkMs: 250, requestTimeoutMs: 300 }

async function member(t: TestContext, url: string, nodeId: string, timing = fast): Promise<NodeMembership> {
  // As the broker makes them: a command fails at once while Redis is away (here: after the test stopped it).
  const connections = { commands: new Redis(url, { lazyConnect: true, enableOfflineQueue: false }), subscriber: new Redis(url) }
  for (const connection of Object.values(connections)) connection.on('error', () => {})
  await connections.commands.connect()
  const membership = new NodeMembership(nodeId, newIncarnation(), connections, new ClusterKeys(''), pino({ level: 'silent' }), timing)
  await membership.start()
  t.after(async () => {
    await membership.stop()
    connections.commands.disconnect()
    connections.subscriber.disconnect()
  })
  return membership
}

test('a node killed with SIGKILL is found dead by the others within 5 s, and exactly one of them claims its recovery', {
  timeout: 60_000
}, async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const [, n2] = await startClusterNodes(t, redis.url, 2)
  // The watchers use the defaults the broker uses (3 s liveness), so the 5 s bound is the product's.
  const watchers = [await member(t, redis.url, 'watch-a', undefined), await member(t, redis.url, 'watch-b', undefined)]
  await sleep(1200)
  const members = new Redis(redis.url)
  t.after(() => members.disconnect())
  const memberOf = async (node: string): Promise<string | undefined> =>
    (await members.hkeys(new ClusterKeys('').nodes)).find((member) => nodeOfMember(member) === node)
  const [m1, m2] = [await memberOf('n1'), await memberOf('n2')]
  assert.ok(m1 !== undefined && m2 !== undefined, 'both nodes registered as members')
  assert.ok(watchers.every((watcher) => watcher.isAlive(m2)))
  const noticed = watchers.map(
    (watcher) =>
      new Promise<number>((resolve) =>
        watcher.onMemberDead((node) => {
          if (node === m2) resolve(Date.now())
        })
      )
  )
  const killedAt = Date.now()
  n2!.child.kill('SIGKILL')
  const times = await Promise.all(noticed)
  for (const time of times) assert.ok(time - killedAt < 5000, `noticed after ${time - killedAt} ms`)
  assert.ok(watchers.every((watcher) => !watcher.isAlive(m2) && watcher.isAlive(m1)))
  // n1, a live node too, races the watchers for the recovery: exactly one of the three holds the claim.
  const claims = await Promise.all(watchers.map((watcher) => watcher.claimRecovery(m2)))
  const holder = await members.get(new ClusterKeys('').recovery(m2))
  const claimants = [...watchers.map((watcher) => watcher.member), m1]
  assert.ok(holder !== null && claimants.includes(holder), `the claim is held by one of them: ${holder}`)
  assert.deepEqual(
    watchers.filter((_watcher, i) => claims[i]).map((watcher) => watcher.member),
    watchers.filter((watcher) => watcher.member === holder).map((watcher) => watcher.member),
    'a watcher claimed it exactly when it holds it'
  )
})

test('a release request is served by the node holding the session, and sent again until it is heard', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const holder = await member(t, redis.url, 'holder')
  const taker = await member(t, redis.url, 'taker')
  await sleep(400)
  const released: string[] = []
  holder.onReleaseRequest(async (clientId) => {
    released.push(clientId)
  })
  await taker.requestRelease(holder.member, 'thermostat-1')
  assert.deepEqual(released, ['thermostat-1'])

  // A node that does not serve requests yet (starting up) is asked again until it does.
  const late = await member(t, redis.url, 'late')
  await sleep(400)
  let servedAt = 0
  const asked = taker.requestRelease(late.member, 'thermostat-2').then(() => Date.now())
  await sleep(700)
  late.onReleaseRequest(async () => {
    servedAt = Date.now()
  })
  assert.ok((await asked) >= servedAt && servedAt > 0, 'resolved once served')
})

test('a release request to a node that dies unanswered ends once the node is found dead', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const silent = await member(t, redis.url, 'silent')
  const taker = await member(t, redis.url, 'taker')
  await sleep(400)
  silent.onReleaseRequest(() => new Promise(() => {})) // never lets go
  const asked = taker.requestRelease(silent.member, 'thermostat-3')
  await sleep(300)
  await silent.stop()
  const started = Date.now()
  await asked
  assert.ok(Date.now() - started < 3000)
})
