import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { type TestContext, test } from 'node:test'
import { encodeEntry } from '../../../broker/cluster/forwarded-codec.js'
import { startChildClusterNode } from '../../helpers/cluster-session-child-node.js'
import { type ClusterSessionNode, startClusterSessionNode } from '../../helpers/cluster-session-node.js'
import { connectClient, goOffline } from '../../helpers/flow-clients.js'
import { InProcessCluster } from '../../helpers/in-process-cluster.js'
import { type RunningRedis, startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { redisClient } from './cluster-nodes.js'
import { parkedSession, qos2Message } from './parked-session.js'

const persistent = { sessionExpiryInterval: 300 }

// The in-process nodes' Redis outlives their teardown: their last writes need it.
let server: RunningRedis
test.before(async () => {
  server = await startRedisServer()
})
test.after(() => server.stop())

/** A client connecting to node-b, and whether its CONNACK has come (`at`: when). */
interface Connecting {
  readonly connected: Promise<Awaited<ReturnType<typeof connectClient>>>
  at: number | undefined
}

/** A persistent session subscribed to `<name>/#` on node-a (a child process), left offline; then node-a is killed. */
async function offlineOnKilledNode(t: TestContext, a: { port: number; child: ChildProcess }, name: string): Promise<string> {
  const clientId = uniqueId(name)
  const first = await connectClient(t, `mqtt://127.0.0.1:${a.port}`, { clientId, protocolVersion: 5, properties: persistent, clean: false })
  await first.client.subscribeAsync(`${name}/#`, { qos: 1 })
  await goOffline(first.client)
  a.child.kill('SIGKILL')
  await once(a.child, 'exit')
  return clientId
}

/** The session's client connecting to `b`, its CONNACK's time noted once it comes. */
function connectingTo(t: TestContext, b: ClusterSessionNode, clientId: string): Connecting {
  const options = { clientId, protocolVersion: 5 as const, properties: persistent, clean: false, connectTimeout: 30_000 }
  const connecting: Connecting = { connected: connectClient(t, b.url, options), at: undefined }
  void connecting.connected.then(() => (connecting.at = Date.now()))
  return connecting
}

/**
 * A session held by node-a (a child process), whose client connects to node-b while node-a is dying: node-a is killed,
 * but node-b still sees it alive and its release request waits. Then node-a is declared dead: node-b's recovery adopts
 * the session while the open waits, and its drain of node-a's stream waits for `drained`. Only then does node-a's
 * release request come back, and the open goes on (as when the request ends with node-a found dead). Resolves then, with
 * the client connecting, node-b, and when the open went on.
 */
async function connectingWhileRecovered(
  t: TestContext,
  drained: Promise<void>,
  recoveryWaitMs?: number
): Promise<{ connecting: Connecting; b: ClusterSessionNode; goesOnAt: number }> {
  const keyPrefix = `${uniqueId('waits')}:`
  const cluster = new InProcessCluster()
  cluster.join('node-a')
  const a = await startChildClusterNode(t, server.url, keyPrefix, 'node-a')
  let answerRelease!: () => void
  cluster.node('node-a').onReleaseRequest(() => new Promise((resolve) => (answerRelease = resolve)))
  const streams = { drain: () => drained }
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b', {}, { streams, recoveryWaitMs })
  const clientId = await offlineOnKilledNode(t, a, 'waits')
  const connecting = connectingTo(t, b, clientId)
  await sleep(300) // node-b asks node-a to let the session go, and waits
  cluster.declareDead('node-a')
  const look = redisClient(t, server.url)
  for (const deadline = Date.now() + 10_000; !(await look.get(`${keyPrefix}tp:{${clientId}}:lease`))?.startsWith('node-b:'); ) {
    assert.ok(Date.now() < deadline, 'node-b adopted the session')
    await sleep(20)
  }
  answerRelease()
  return { connecting, b, goesOnAt: Date.now() }
}

/** A drain held back until the test lets it end (`done`), and at the latest when the test ends, passed or not. */
function heldDrain(t: TestContext): { drained: Promise<void>; done: () => void } {
  let done!: () => void
  const drained = new Promise<void>((resolve) => (done = resolve))
  // Before the nodes' own teardown, which would wait for a recovery stuck in its drain.
  t.after(() => done())
  return { drained, done }
}

test('a client that connects while its node is dying gets its session once the recovery adopting it has drained', {
  timeout: 60_000
}, async (t) => {
  const drain = heldDrain(t)
  const { connecting } = await connectingWhileRecovered(t, drain.drained)
  try {
    await sleep(1000)
    assert.equal(connecting.at, undefined, 'no CONNACK while the dead node’s stream is being drained')
  } finally {
    drain.done()
  }
  const drainedAt = Date.now()
  const { connack } = await connecting.connected
  assert.equal(connack.sessionPresent, true)
  assert.ok(connecting.at! >= drainedAt, 'the CONNACK came after the drain')
})

test('a drain that takes too long holds the client back no longer than the recovery wait, and says so', { timeout: 60_000 }, async (t) => {
  const drain = heldDrain(t)
  const { connecting, b, goesOnAt } = await connectingWhileRecovered(t, drain.drained, 1500)
  try {
    const { connack } = await connecting.connected
    assert.equal(connack.sessionPresent, true)
    assert.ok(connecting.at! - goesOnAt >= 1500, `it waited for the drain first: ${connecting.at! - goesOnAt} ms`)
    assert.ok(
      b.warnings().some((line) => line.includes('still draining into this session')),
      `the early CONNACK is logged: ${b.warnings().join('\n')}`
    )
  } finally {
    drain.done()
  }
})

/** A publishing node as the test plays it. */
const PUBLISHER = 'n9@publisher'
/** The backlog left in the dead node's stream: long enough that its drain takes a while. */
const ENTRIES = 200
const PER_ENTRY = 50

/**
 * A client comes back on node B while its node A is dying, with a long backlog for its session in A's stream. B
 * recovers A and adopts the session while the client's takeover waits. The client must get the session only once the
 * drain is done (README: "a client reconnecting meanwhile gets its session only once the dead member's stream is
 * drained into it"): at its CONNACK, A's stream is drained and retired, and the backlog arrives first, in order, each
 * message once, before what is published after.
 */
test('a client reconnecting while its dead node is recovered gets its session once the drain is done', { timeout: 120_000 }, async (t) => {
  const parked = await parkedSession(t, 'waits', 'waits/#', 0, 2, ['--max-queued-messages', '1000000'])
  const { nodes, look, subscriber } = parked
  const [memberA, memberB] = parked.members
  nodes[0]!.child.kill('SIGKILL')
  const streamA = `tp:{cluster}:stream:${memberA}`
  const appends = look.pipeline()
  for (let n = 0; n < ENTRIES; n++) {
    const records = Array.from({ length: PER_ENTRY }, (_, i) => {
      const id = n * PER_ENTRY + i + 1
      return { message: qos2Message(id, `waits/${id % 4}`, String(id)), plain: true, groups: [], publisher: PUBLISHER }
    })
    appends.xadd(streamA, 'NOMKSTREAM', '*', 'm', encodeEntry(PUBLISHER, records))
  }
  await appends.exec()

  // Connects while A still looks alive: the takeover waits for A's death, and B's recovery adopts the session meanwhile.
  const connack = await subscriber.connect(nodes[1]!.urls[0]!)
  const [streamLeft, recoverer] = await Promise.all([look.exists(streamA), look.get(`tp:{cluster}:moved:${memberA}`)])
  assert.equal(connack.sessionPresent, true, 'B had the session')
  assert.equal(streamLeft, 0, 'A’s stream was drained before the client got its session')
  assert.equal(recoverer, memberB, 'B recovered A')

  // One more, published on B now: it comes after the whole backlog.
  const last = ENTRIES * PER_ENTRY + 1
  await look.xadd(
    `tp:{cluster}:stream:${memberB}`,
    '*',
    'm',
    encodeEntry(PUBLISHER, [{ message: qos2Message(last, 'waits/last', String(last)), plain: true, groups: [], publisher: PUBLISHER }])
  )
  const ids = (): number[] => subscriber.received().map((message) => Number(message.payload.toString()))
  for (const deadline = Date.now() + 30_000; ids().length < last && Date.now() < deadline; ) await sleep(100)
  await sleep(500) // a second copy would come within this
  const expected = Array.from({ length: last }, (_, i) => i + 1)
  const got = ids()
  const firstOff = got.findIndex((id, i) => id !== expected[i])
  assert.equal(
    firstOff,
    -1,
    `messages out of order or twice from #${firstOff}: ${got.slice(Math.max(0, firstOff - 3), firstOff + 5).join(', ')}`
  )
  assert.equal(got.length, last, 'every message arrived')
})

test('a session whose dead node a live member has claimed to recover waits for that recovery past the recovery wait', {
  timeout: 60_000
}, async (t) => {
  const keyPrefix = `${uniqueId('claimed')}:`
  const cluster = new InProcessCluster()
  cluster.join('node-a')
  cluster.join('node-c') // a live member that claims node-a's recovery and has not adopted this session yet
  const a = await startChildClusterNode(t, server.url, keyPrefix, 'node-a')
  const b = await startClusterSessionNode(t, cluster, server.url, keyPrefix, 'node-b', {}, { recoveryWaitMs: 300 })
  const clientId = await offlineOnKilledNode(t, a, 'claimed')
  cluster.claimRecoveryFor('node-a', 'node-c')
  cluster.declareDead('node-a')
  const connecting = connectingTo(t, b, clientId)
  await sleep(1500)
  assert.equal(connecting.at, undefined, 'no CONNACK while a live member recovers the dead node, past the 300 ms wait')
  const lease = await redisClient(t, server.url).get(`${keyPrefix}tp:{${clientId}}:lease`)
  assert.ok(lease?.startsWith('node-a:'), `the lease stays the dead node's, for its recoverer to adopt: ${lease}`)
  // The recoverer dies before it adopted the session, and nobody recovers node-a now: the open takes the lease.
  cluster.declareDead('node-c')
  const { connack } = await connecting.connected
  assert.equal(connack.sessionPresent, true)
})
