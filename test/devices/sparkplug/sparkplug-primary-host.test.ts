import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { encodeHostState } from '../../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { SparkplugEdgeNode } from '../../../devices/sparkplug/sparkplug-edge-node.js'
import { startBroker } from '../../helpers/broker.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { FAST_BACKOFF, watch } from '../helpers/device-fixture.js'
import { FixedRoom } from '../helpers/fixed-room.js'

/** An edge node configured with a primary host application: its births wait for the host, and go with it. */

/** Edge node site-1 of group plant with room-1 behind it, waiting for primary host `scada`; stopped after the test. */
function startEdgeNode(t: TestContext, urls: readonly string[]): void {
  const edgeNode = new SparkplugEdgeNode({ urls, group: 'plant', edgeNode: 'site-1', backoff: FAST_BACKOFF, primaryHostId: 'scada' })
  edgeNode.attach(new FixedRoom('room-1'))
  edgeNode.start()
  t.after(() => edgeNode.stop())
}

test('tck-id-message-flow-edge-node-birth-publish-phid-wait, tck-id-message-flow-edge-node-birth-publish-phid-wait-online, tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp, tck-id-operational-behavior-edge-node-termination-host-offline, tck-id-operational-behavior-edge-node-termination-host-offline-timestamp: births wait for the primary host online; a stale offline STATE is ignored, a current one ends the session', async (t) => {
  const broker = await startBroker({ sysInterval: 0 })
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, ['spBv1.0/plant/+/#'])
  const host = await mqttClient(t, broker.url)
  const state = (online: boolean, timestamp: number) =>
    host.publishAsync('spBv1.0/STATE/scada', encodeHostState({ online, timestamp }), { qos: 1, retain: true })
  await state(false, 1000)
  startEdgeNode(t, [broker.url])
  await observer.inbox.none(300)
  await state(true, 2000)
  const births = await observer.inbox.take(2)
  assert.deepEqual(
    births.map(({ topic }) => topic),
    ['spBv1.0/plant/NBIRTH/site-1', 'spBv1.0/plant/DBIRTH/site-1/room-1']
  )
  await state(false, 1500)
  await observer.inbox.none(300)
  await state(false, 3000)
  const [death] = await observer.inbox.take(1)
  assert.equal(death?.topic, 'spBv1.0/plant/NDEATH/site-1')
  const bornBdSeq = decodeSparkplugPayload(births[0]!.payload).metrics[0]?.value
  assert.equal(decodeSparkplugPayload(death!.payload).metrics[0]?.value, bornBdSeq)
  // Connected again, the retained offline STATE holds the births back until the host is back.
  await observer.inbox.none(300)
  await state(true, 4000)
  const [again] = await observer.inbox.take(1)
  assert.equal(again?.topic, 'spBv1.0/plant/NBIRTH/site-1')
  assert.notEqual(decodeSparkplugPayload(again!.payload).metrics[0]?.value, bornBdSeq)
})

test('tck-id-operational-behavior-edge-node-termination-host-offline-reconnect, tck-id-operational-behavior-primary-application-state-with-multiple-servers-walk: the primary host offline on one broker moves the edge node to the next in its list, where it is born again', async (t) => {
  const brokers = await Promise.all([startBroker({ sysInterval: 0 }), startBroker({ sysInterval: 0 })])
  t.after(() => Promise.all(brokers.map((broker) => broker.close())))
  const [first, second] = brokers as [(typeof brokers)[0], (typeof brokers)[0]]
  const observers = await Promise.all(brokers.map((broker) => watch(t, broker.url, ['spBv1.0/plant/+/#'])))
  // The host on both brokers, with the one timestamp of its connections ([tck-id-operational-behavior-host-application-multi-server-timestamp]).
  const hosts = await Promise.all(brokers.map((broker) => mqttClient(t, broker.url)))
  const online = encodeHostState({ online: true, timestamp: 5000 })
  await Promise.all(hosts.map((host) => host.publishAsync('spBv1.0/STATE/scada', online, { qos: 1, retain: true })))
  startEdgeNode(t, [first.url, second.url])
  const births = await observers[0]!.inbox.take(2)
  assert.equal(births[0]?.topic, 'spBv1.0/plant/NBIRTH/site-1')

  // The host's connection to the first broker is gone: its will there says offline, with the same timestamp.
  await hosts[0]!.publishAsync('spBv1.0/STATE/scada', encodeHostState({ online: false, timestamp: 5000 }), { qos: 1, retain: true })
  const [death] = await observers[0]!.inbox.take(1)
  assert.equal(death?.topic, 'spBv1.0/plant/NDEATH/site-1')
  const again = await observers[1]!.inbox.take(2)
  assert.deepEqual(
    again.map(({ topic }) => topic),
    ['spBv1.0/plant/NBIRTH/site-1', 'spBv1.0/plant/DBIRTH/site-1/room-1']
  )
  const bdSeqOf = (payload: Buffer) => decodeSparkplugPayload(payload).metrics[0]?.value
  assert.equal(bdSeqOf(again[0]!.payload), (bdSeqOf(births[0]!.payload) as number) + 1)
  // Gone from the first broker: nothing more comes there.
  await observers[0]!.inbox.none(300)
})
