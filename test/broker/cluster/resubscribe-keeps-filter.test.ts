import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connectClient } from '../../helpers/flow-clients.js'
import { startRedisServer } from '../../helpers/redis-server.js'
import { listenToFilterNotes, memberOfNode, redisClient, startClusterNodes } from './cluster-nodes.js'

// A SUBSCRIBE to a filter the session holds replaces its subscription without interrupting the flow of publications
// [MQTT-3.8.4-3]. On a cluster node, a subscription taken out and put back in tells the other nodes the filter went
// and came back: a message they publish between the two notes is routed past the session, acknowledged and lost. So
// the node never withdraws a filter it goes on holding: it tells the others of it once, when it first holds it.

test('re-subscribing to a held filter, plain or shared, at another QoS never withdraws it from the other nodes', async (t) => {
  const redis = await startRedisServer()
  t.after(() => redis.stop())
  const notes = await listenToFilterNotes(t, redis.url)
  const [n1] = await startClusterNodes(t, redis.url, 1)
  const member = await memberOfNode(redisClient(t, redis.url), 'n1')
  const subscriber = await connectClient(t, n1!.urls[0]!, { clientId: 'resubscriber', protocolVersion: 5 })

  for (const qos of [0, 1, 2] as const) {
    await subscriber.client.subscribeAsync('rooms/+/temperature', { qos })
    await subscriber.client.subscribeAsync('$share/desk/rooms/#', { qos })
  }
  await notes.settled()
  assert.deepEqual(
    notes.heard.filter((note) => note.startsWith(`${member} `) && !note.endsWith(' !')),
    [`${member} +rooms/+/temperature`, `${member} +rooms/#`, `${member} +$share/desk/rooms/#`],
    'each filter announced once, never withdrawn'
  )
})
