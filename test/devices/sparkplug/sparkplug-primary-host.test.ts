import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeHostState } from '../../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { SparkplugEdgeNode } from '../../../devices/sparkplug/sparkplug-edge-node.js'
import { startBroker } from '../../helpers/broker.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { FAST_BACKOFF, watch } from '../helpers/device-fixture.js'
import { FixedRoom } from '../helpers/fixed-room.js'

/** An edge node configured with a primary host application: its births wait for the host, and go with it. */

test('tck-id-message-flow-edge-node-birth-publish-phid-wait, tck-id-message-flow-edge-node-birth-publish-phid-wait-online, tck-id-message-flow-edge-node-birth-publish-phid-wait-timestamp, tck-id-operational-behavior-edge-node-termination-host-offline, tck-id-operational-behavior-edge-node-termination-host-offline-timestamp: births wait for the primary host online; a stale offline STATE is ignored, a current one ends the session', async (t) => {
  const broker = await startBroker({ sysInterval: 0 })
  t.after(() => broker.close())
  const observer = await watch(t, broker.url, ['spBv1.0/plant/+/#'])
  const host = await mqttClient(t, broker.url)
  const state = (online: boolean, timestamp: number) =>
    host.publishAsync('spBv1.0/STATE/scada', encodeHostState({ online, timestamp }), { qos: 1, retain: true })
  await state(false, 1000)
  const edgeNode = new SparkplugEdgeNode({
    urls: [broker.url],
    group: 'plant',
    edgeNode: 'site-1',
    backoff: FAST_BACKOFF,
    primaryHostId: 'scada'
  })
  edgeNode.attach(new FixedRoom('room-1'))
  edgeNode.start()
  t.after(() => edgeNode.stop())
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
