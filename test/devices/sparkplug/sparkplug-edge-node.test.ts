import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { decodeSparkplugPayload, encodeSparkplugPayload, type SparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { type EdgeNodeOptions, SparkplugEdgeNode } from '../../../devices/sparkplug/sparkplug-edge-node.js'
import { startBroker } from '../../helpers/broker.js'
import { recordConnects } from '../../helpers/connect-recorder.js'
import type { Received } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { FAST_BACKOFF, waitFor, watch } from '../helpers/device-fixture.js'
import { FixedRoom } from '../helpers/fixed-room.js'

/** A simulated edge node against the Sparkplug B 3.0 assertions on edge nodes, watched by a plain client. */

interface Decoded {
  topic: string
  qos: number
  retain: boolean
  payload: SparkplugPayload
}

function decoded({ topic, packet, payload }: Received): Decoded {
  return { topic, qos: packet.qos, retain: packet.retain, payload: decodeSparkplugPayload(payload) }
}

async function setup(t: TestContext, options: Partial<EdgeNodeOptions> = {}) {
  const broker = await startBroker({ sysInterval: 0 })
  t.after(() => broker.close())
  // What the edge node sends, not the commands sent to it.
  const observer = await watch(
    t,
    broker.url,
    ['NBIRTH', 'NDEATH', 'DBIRTH', 'DDATA', 'DDEATH'].map((type) => `spBv1.0/+/${type}/#`)
  )
  const room = new FixedRoom('room-1')
  const edgeNode = new SparkplugEdgeNode({ urls: [broker.url], group: 'plant', edgeNode: 'site-1', backoff: FAST_BACKOFF, ...options })
  edgeNode.attach(room)
  edgeNode.start()
  t.after(() => edgeNode.stop())
  const births = (await observer.inbox.take(2)).map(decoded)
  const host = await mqttClient(t, broker.url)
  return { broker, observer, host, room, edgeNode, births }
}

const metricValue = (payload: SparkplugPayload, name: string) => payload.metrics.find((metric) => metric.name === name)?.value

describe('Sparkplug edge node', { concurrency: true }, () => {
  for (const mqttVersion of [4, 5] as const) {
    test(`${mqttVersion === 5 ? 'tck-id-principles-persistence-clean-session-50' : 'tck-id-principles-persistence-clean-session-311'}, tck-id-message-flow-edge-node-birth-publish-will-message, tck-id-message-flow-edge-node-birth-publish-will-message-topic, tck-id-message-flow-edge-node-birth-publish-will-message-qos, tck-id-message-flow-edge-node-birth-publish-will-message-will-retained: MQTT ${mqttVersion === 5 ? '5' : '3.1.1'} CONNECT with a clean session and the NDEATH will of the NBIRTH's bdSeq`, async (t) => {
      const broker = await startBroker({ sysInterval: 0 })
      t.after(() => broker.close())
      const proxy = await recordConnects(t, broker.port)
      const observer = await watch(t, broker.url, ['spBv1.0/+/NBIRTH/#'])
      const edgeNode = new SparkplugEdgeNode({ urls: [proxy.url], group: 'plant', edgeNode: 'site-1', mqttVersion, backoff: FAST_BACKOFF })
      edgeNode.start()
      t.after(() => edgeNode.stop())
      const [nbirth] = (await observer.inbox.take(1)).map(decoded)
      const [connect] = proxy.connects
      assert.equal(connect?.clean, true)
      if (mqttVersion === 5) assert.equal(connect?.properties?.sessionExpiryInterval ?? 0, 0)
      const will = connect?.will
      assert.deepEqual([will?.topic, will?.qos, will?.retain], ['spBv1.0/plant/NDEATH/site-1', 1, false])
      const death = decodeSparkplugPayload(will!.payload as Buffer)
      assert.equal(death.seq, undefined)
      assert.deepEqual(
        death.metrics.map(({ name, value }) => [name, value]),
        [['bdSeq', metricValue(nbirth!.payload, 'bdSeq')]]
      )
    })
  }

  test('tck-id-topics-nbirth-topic, tck-id-topics-nbirth-mqtt, tck-id-topics-nbirth-seq-num, tck-id-topics-nbirth-timestamp, tck-id-topics-nbirth-bdseq-included, tck-id-topics-nbirth-rebirth-metric, tck-id-operational-behavior-data-commands-rebirth-name-aliases, tck-id-topics-dbirth-topic, tck-id-topics-dbirth-mqtt, tck-id-topics-dbirth-seq, tck-id-topics-dbirth-metrics, tck-id-payloads-alias-birth-requirement, tck-id-payloads-metric-datatype-req: the births', async (t) => {
    const { births } = await setup(t)
    const [nbirth, dbirth] = births
    assert.equal(nbirth?.topic, 'spBv1.0/plant/NBIRTH/site-1')
    assert.deepEqual([nbirth?.qos, nbirth?.retain, nbirth?.payload.seq], [0, false, 0])
    assert.ok(typeof nbirth?.payload.timestamp === 'number')
    assert.deepEqual(
      nbirth?.payload.metrics.map(({ name, alias, datatype, value }) => ({ name, alias, datatype, value })),
      [
        { name: 'bdSeq', alias: undefined, datatype: 'Int64', value: 0 },
        { name: 'Node Control/Rebirth', alias: undefined, datatype: 'Boolean', value: false }
      ]
    )
    assert.equal(dbirth?.topic, 'spBv1.0/plant/DBIRTH/site-1/room-1')
    assert.deepEqual([dbirth?.qos, dbirth?.retain, dbirth?.payload.seq], [0, false, 1])
    assert.deepEqual(
      dbirth?.payload.metrics.map(({ name, alias, datatype, value, properties }) => ({ name, alias, datatype, value, properties })),
      [
        { name: 'temperature', alias: 1, datatype: 'Float', value: 20.5, properties: { engUnit: '°C' } },
        { name: 'setpoint', alias: 2, datatype: 'Float', value: 21, properties: { engUnit: '°C' } },
        { name: 'heating', alias: 3, datatype: 'Boolean', value: true, properties: undefined }
      ]
    )
  })

  test('tck-id-topics-ddata-topic, tck-id-topics-ddata-mqtt, tck-id-topics-ddata-seq-num, tck-id-topics-ddata-payload, tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-sequence-num-incrementing: DDATA by alias, only what changed, seq wrapping 255 to 0', async (t) => {
    const { observer, room, edgeNode } = await setup(t)
    room.values.heating = false
    edgeNode.report('room-1', room.current(), Date.now())
    const [first] = (await observer.inbox.take(1)).map(decoded)
    assert.deepEqual([first?.topic, first?.qos, first?.retain, first?.payload.seq], ['spBv1.0/plant/DDATA/site-1/room-1', 0, false, 2])
    assert.deepEqual(
      first?.payload.metrics.map(({ name, alias, value }) => ({ name, alias, value })),
      [
        { name: undefined, alias: 1, value: 20.5 },
        { name: undefined, alias: 3, value: false }
      ]
    )
    for (let n = 0; n < 256; n++) edgeNode.report('room-1', room.current(), Date.now())
    const seqs = (await observer.inbox.take(256)).map((message) => decoded(message).payload.seq)
    assert.deepEqual(seqs, [...Array.from({ length: 253 }, (_, i) => i + 3), 0, 1, 2])
    // MQTT 5: the topic went once, then its alias; the broker still delivered every one under the full topic.
    const { readingPublishes, readingPublishBytes } = edgeNode.counters
    assert.equal(readingPublishes, 257)
    assert.ok(readingPublishBytes / readingPublishes < 40, `${readingPublishBytes / readingPublishes} bytes per DDATA`)
  })

  test('tck-id-payloads-ndeath-will-message, tck-id-payloads-ndeath-will-message-qos, tck-id-payloads-ndeath-will-message-retain, tck-id-payloads-ndeath-bdseq, tck-id-topics-ndeath-topic, tck-id-topics-ndeath-payload, tck-id-topics-ndeath-seq, tck-id-topics-nbirth-bdseq-matching, tck-id-topics-nbirth-bdseq-increment: the NDEATH will carries the bdSeq of its NBIRTH, and the next connect the next one', async (t) => {
    const { observer, edgeNode, births } = await setup(t)
    edgeNode.drop()
    const [death, nbirth, dbirth] = (await observer.inbox.take(3)).map(decoded)
    assert.equal(death?.topic, 'spBv1.0/plant/NDEATH/site-1')
    assert.deepEqual([death?.qos, death?.retain, death?.payload.seq], [1, false, undefined])
    assert.deepEqual(
      death?.payload.metrics.map(({ name, value }) => [name, value]),
      [['bdSeq', 0]]
    )
    assert.equal(metricValue(births[0]!.payload, 'bdSeq'), 0)
    assert.deepEqual([nbirth?.topic, nbirth?.payload.seq, metricValue(nbirth!.payload, 'bdSeq')], ['spBv1.0/plant/NBIRTH/site-1', 0, 1])
    assert.equal(dbirth?.payload.seq, 1)
  })

  test('tck-id-operational-behavior-data-commands-rebirth-action-2, tck-id-operational-behavior-data-commands-rebirth-action-3: an NCMD Node Control/Rebirth brings new births with the same bdSeq', async (t) => {
    const { observer, host, births } = await setup(t)
    const rebirth = encodeSparkplugPayload({
      timestamp: Date.now(),
      metrics: [{ name: 'Node Control/Rebirth', datatype: 'Boolean', value: true }]
    })
    await host.publishAsync('spBv1.0/plant/NCMD/site-1', rebirth, { qos: 0 })
    const [nbirth, dbirth] = (await observer.inbox.take(2)).map(decoded)
    assert.deepEqual([nbirth?.topic, nbirth?.payload.seq], ['spBv1.0/plant/NBIRTH/site-1', 0])
    assert.equal(metricValue(nbirth!.payload, 'bdSeq'), metricValue(births[0]!.payload, 'bdSeq'))
    assert.deepEqual([dbirth?.topic, dbirth?.payload.seq], ['spBv1.0/plant/DBIRTH/site-1/room-1', 1])
  })

  test('tck-id-message-flow-device-dcmd-subscribe: a DCMD writing setpoint (by alias or name) sets it and a DDATA reports it', async (t) => {
    const { observer, host, room } = await setup(t)
    const byAlias = encodeSparkplugPayload({ timestamp: Date.now(), metrics: [{ alias: 2, datatype: 'Float', value: 23.5 }] })
    await host.publishAsync('spBv1.0/plant/DCMD/site-1/room-1', byAlias, { qos: 0 })
    const [data] = (await observer.inbox.take(1)).map(decoded)
    assert.equal(room.values.setpoint, 23.5)
    assert.deepEqual(data?.payload.metrics.find((metric) => metric.alias === 2)?.value, 23.5)
    const refused = encodeSparkplugPayload({ timestamp: Date.now(), metrics: [{ name: 'setpoint', datatype: 'Float', value: 40 }] })
    await host.publishAsync('spBv1.0/plant/DCMD/site-1/room-1', refused, { qos: 0 })
    const [unchanged] = (await observer.inbox.take(1)).map(decoded)
    assert.deepEqual(unchanged?.payload.metrics.find((metric) => metric.alias === 2)?.value, 23.5)
  })

  test('tck-id-operational-behavior-device-ddeath, tck-id-topics-ddeath-topic, tck-id-topics-ddeath-mqtt, tck-id-topics-ddeath-seq-num: a device that drops off gets a DDEATH, and a DBIRTH when back', async (t) => {
    const { observer, edgeNode } = await setup(t)
    edgeNode.deviceLost('room-1')
    edgeNode.report('room-1', { temperature: 1, setpoint: 1, heating: false }, Date.now())
    edgeNode.deviceBack('room-1')
    const [death, birth] = (await observer.inbox.take(2)).map(decoded)
    assert.deepEqual(
      [death?.topic, death?.qos, death?.retain, death?.payload.seq, death?.payload.metrics],
      ['spBv1.0/plant/DDEATH/site-1/room-1', 0, false, 2, []]
    )
    // Nothing between them: an absent device reports nothing.
    assert.deepEqual([birth?.topic, birth?.payload.seq], ['spBv1.0/plant/DBIRTH/site-1/room-1', 3])
  })

  test('tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath: a stop publishes the NDEATH before DISCONNECT', async (t) => {
    const { observer, edgeNode } = await setup(t)
    await edgeNode.stop()
    const [death] = (await observer.inbox.take(1)).map(decoded)
    assert.deepEqual([death?.topic, death?.payload.metrics[0]?.value], ['spBv1.0/plant/NDEATH/site-1', 0])
    await observer.inbox.none(200)
    await waitFor(() => !edgeNode.isConnected, 'the edge node disconnected')
  })
})
