import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { type CliBroker, startCliBroker } from '../../helpers/cli-broker.js'
import { tempDir } from '../../helpers/crash-broker.js'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { listenToFilterNotes, memberOfNode, redisClient } from './cluster-nodes.js'

// A bridge configured on every node of a cluster runs on one node at a time. Killed, that node's bridge moves to
// another, with its session: every message the cluster acknowledged reaches the remote. The node taking it on has the
// session's subscriptions restored before the bridge opens it; opening it must not withdraw its filter from the other
// nodes even for a moment, or what they publish meanwhile goes nowhere (session-subscriptions.ts).

const RUNS_HERE = 'bridge cloud: runs on this node of the cluster'

test('a bridge runs on one node of three; when that node is killed another takes it and every acknowledged message reaches the remote', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const notes = await listenToFilterNotes(t, redis.url)
  const remote = await startCliBroker(t, ['--host', '127.0.0.1', '--port', '0', '--sys-interval', '0'], 1)
  const watcher = await connectClient(t, remote.urls[0]!, { clientId: uniqueId('watch') })
  await watcher.client.subscribeAsync('readings/#', { qos: 1 })

  const config = join(tempDir(t, 'thermopost-cluster-bridge-'), 'node.yaml')
  writeFileSync(
    config,
    [
      'allow_anonymous: true',
      'bridges:',
      '  - name: cloud',
      `    address: ${remote.urls[0]}`,
      `    client_id: cluster-site-${process.pid}`,
      '    restart_delay: 0.1',
      '    restart_delay_max: 0.3',
      '    topics:',
      '      - { pattern: "readings/#", direction: out, qos: 1 }',
      ''
    ].join('\n')
  )
  const nodes = new Map<string, CliBroker>()
  for (const id of ['n1', 'n2', 'n3']) {
    const args = ['--config', config, '--host', '127.0.0.1', '--port', '0', '--cluster', redis.url, '--node-id', id, '--sys-interval', '0']
    nodes.set(id, await startCliBroker(t, args, 1))
  }
  const output = () => [...nodes].map(([id, node]) => `--- ${id}\n${node.output().slice(-3000)}`).join('\n')
  const running = () => [...nodes].filter(([, node]) => node.child.exitCode === null && node.output().includes(RUNS_HERE)).map(([id]) => id)
  for (const deadline = Date.now() + 10_000; running().length === 0; await sleep(100)) {
    assert.ok(Date.now() < deadline, `no node took the bridge within 10 s\n${output()}`)
  }
  await sleep(1500) // the others keep trying: none may take it while its holder lives
  assert.equal(running().length, 1, `exactly one node runs the bridge\n${output()}`)
  const holder = running()[0]!

  // A sensor on another node publishes the whole time; the bridge's node is killed in the middle.
  const publisherNode = ['n1', 'n2', 'n3'].find((id) => id !== holder)!
  const sensor = await connectClient(t, nodes.get(publisherNode)!.urls[0]!, { clientId: uniqueId('sensor') })
  const acknowledged: number[] = []
  let publishing = true
  const published = (async () => {
    for (let i = 0; publishing; i++) {
      await sensor.client.publishAsync(`readings/t${i % 4}`, String(i), { qos: 1 })
      acknowledged.push(i)
      await sleep(5)
    }
  })()
  await sleep(500)
  nodes.get(holder)!.child.kill('SIGKILL')
  const killedAt = acknowledged.length
  for (const deadline = Date.now() + 30_000; running().filter((id) => id !== holder).length === 0; await sleep(100)) {
    assert.ok(Date.now() < deadline, `no other node took the bridge within 30 s\n${output()}`)
  }
  await sleep(1000)
  publishing = false
  await published
  assert.ok(acknowledged.length > killedAt, 'messages were acknowledged while the bridge moved')
  const successor = await memberOfNode(redisClient(t, redis.url), running().find((id) => id !== holder)!)
  await notes.settled()
  assert.ok(
    !notes.heard.includes(`${successor} -readings/#`),
    `the node that took the bridge on withdrew its filter\n${notes.heard.join('\n')}`
  )

  for (const deadline = Date.now() + 20_000; ; await sleep(100)) {
    const got = new Set(watcher.inbox.all.map((message) => Number(message.payload.toString())))
    const missing = acknowledged.filter((n) => !got.has(n))
    if (missing.length === 0) break
    assert.ok(
      Date.now() < deadline,
      `${missing.length} acknowledged messages never reached the remote: ${missing.slice(0, 20).join(', ')}\n${output()}`
    )
  }
  assert.equal(running().filter((id) => id !== holder).length, 1, `exactly one node runs the bridge after the kill\n${output()}`)
})
