import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import type { MqttClient } from 'mqtt'
import { decodeHostState, encodeHostState } from '../../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload, encodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { SparkplugEdgeNode } from '../../../devices/sparkplug/sparkplug-edge-node.js'
import { SparkplugHost } from '../../../service/sparkplug/sparkplug-host.js'
import { FAST_BACKOFF, waitFor, watch } from '../../devices/helpers/device-fixture.js'
import { FixedRoom } from '../../devices/helpers/fixed-room.js'
import { recordConnects } from '../../helpers/connect-recorder.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { serviceSetup, silentLogger } from '../core/service-fixture.js'

/** The service as a Sparkplug primary host application, against a real broker and a simulated edge node. */

function startEdgeNode(t: TestContext, url: string, backoff = FAST_BACKOFF): { edgeNode: SparkplugEdgeNode; room: FixedRoom } {
  const room = new FixedRoom('room-1')
  const edgeNode = new SparkplugEdgeNode({ urls: [url], group: 'plant', edgeNode: 'site-1', backoff })
  edgeNode.attach(room)
  edgeNode.start()
  t.after(() => edgeNode.stop())
  return { edgeNode, room }
}

const DEVICE = 'plant/site-1/room-1'

describe('Sparkplug host application', { concurrency: true }, () => {
  test('tck-id-host-topic-phid-birth-topic, tck-id-host-topic-phid-birth-qos, tck-id-host-topic-phid-birth-retain, tck-id-host-topic-phid-birth-payload, tck-id-host-topic-phid-birth-payload-timestamp, tck-id-operational-behavior-host-application-termination, tck-id-operational-behavior-host-application-death-payload: the birth STATE, retained, and the death STATE with the same timestamp on a clean close', async (t) => {
    const setup = await serviceSetup(t)
    const before = Date.now()
    const service = await setup.start({ sparkplug: { hostId: 'scada' } })
    const observer = await watch(t, setup.running.url, ['spBv1.0/STATE/+'])
    const [birth] = await observer.inbox.take(1)
    assert.deepEqual([birth?.topic, birth?.packet.qos, birth?.packet.retain], ['spBv1.0/STATE/scada', 1, true])
    const online = decodeHostState(birth!.payload)
    assert.equal(online.online, true)
    assert.ok(online.timestamp >= before && online.timestamp <= Date.now())
    await service.close()
    const [death] = await observer.inbox.take(1)
    assert.deepEqual(decodeHostState(death!.payload), { online: false, timestamp: online.timestamp })
    assert.equal(death?.packet.qos, 1)
  })

  test('tck-id-message-flow-phid-sparkplug-clean-session-50, tck-id-operational-behavior-host-application-connect-will, tck-id-operational-behavior-host-application-connect-will-topic, tck-id-operational-behavior-host-application-connect-will-qos, tck-id-operational-behavior-host-application-connect-will-retained: the CONNECT has a clean session and the death STATE will with the birth timestamp', async (t) => {
    const setup = await serviceSetup(t)
    const proxy = await recordConnects(t, setup.running.port)
    const host = new SparkplugHost({
      urls: [proxy.url],
      hostId: 'scada',
      clientId: 'host-under-test',
      onReading: () => {},
      onStatus: () => {},
      onUnreadable: () => {},
      logger: silentLogger
    })
    t.after(() => host.close())
    const observer = await watch(t, setup.running.url, ['spBv1.0/STATE/scada'])
    const birth = decodeHostState((await observer.inbox.take(1))[0]!.payload)
    const [connect] = proxy.connects
    assert.deepEqual([connect?.clean, connect?.properties?.sessionExpiryInterval ?? 0], [true, 0])
    const will = connect?.will
    assert.deepEqual([will?.topic, will?.qos, will?.retain], ['spBv1.0/STATE/scada', 1, true])
    assert.deepEqual(decodeHostState(will!.payload as Buffer), { online: false, timestamp: birth.timestamp })
  })

  test('tck-id-host-topic-phid-death-required, tck-id-host-topic-phid-death-payload, tck-id-host-topic-phid-death-qos, tck-id-message-flow-hid-sparkplug-state-message-delivered: the will says offline with the birth timestamp; reported offline, the host publishes its birth again', async (t) => {
    const setup = await serviceSetup(t)
    const host = new SparkplugHost({
      urls: [setup.running.url],
      hostId: 'scada',
      clientId: 'host-under-test',
      reconnectMs: 100,
      onReading: () => {},
      onStatus: () => {},
      onUnreadable: () => {},
      logger: silentLogger
    })
    t.after(() => host.close())
    await host.ready
    const observer = await watch(t, setup.running.url, ['spBv1.0/STATE/scada'])
    const first = decodeHostState((await observer.inbox.take(1))[0]!.payload)
    // A network failure: the broker publishes the will, and the host comes back with a new timestamp.
    ;(host as unknown as { client: MqttClient }).client.stream.destroy()
    const received = await observer.inbox.take(2)
    assert.equal(received[0]?.packet.qos, 1)
    const [will, again] = received.map(({ payload }) => decodeHostState(payload))
    assert.deepEqual(will, { online: false, timestamp: first.timestamp })
    assert.equal(again?.online, true)
    assert.ok(again!.timestamp > first.timestamp)
    const someone = await mqttClient(t, setup.running.url)
    await someone.publishAsync('spBv1.0/STATE/scada', encodeHostState({ online: false, timestamp: 1 }), { qos: 1, retain: true })
    const [lie, answer] = (await observer.inbox.take(2)).map(({ payload }) => decodeHostState(payload))
    assert.equal(lie?.online, false)
    assert.deepEqual(answer, { online: true, timestamp: again!.timestamp })
  })

  test('tck-id-host-topic-phid-birth-sub-required: births and data become readings in the history and a device in the API with its group and edge node', async (t) => {
    const setup = await serviceSetup(t)
    const service = await setup.start({ sparkplug: { hostId: 'scada' } })
    const { edgeNode, room } = startEdgeNode(t, setup.running.url)
    await waitFor(() => setup.history.readings.some((reading) => reading.deviceId === DEVICE), 'the DBIRTH reading')
    room.values = { temperature: 22.5, setpoint: 21, heating: false }
    edgeNode.report('room-1', room.current(), Date.now())
    await waitFor(() => setup.history.readings.some((reading) => reading.temperature === 22.5), 'the DDATA reading')
    const device = service.devices.get(DEVICE)
    assert.deepEqual(
      { source: device?.source, site: device?.site, sparkplug: device?.sparkplug, state: device?.state },
      { source: 'sparkplug', site: 'plant/site-1', sparkplug: { group: 'plant', edgeNode: 'site-1' }, state: 'online' }
    )
    assert.deepEqual(
      { temperature: device?.lastReading?.temperature, setpoint: device?.lastReading?.setpoint, heating: device?.lastReading?.heating },
      { temperature: 22.5, setpoint: 21, heating: false }
    )
  })

  test('tck-id-operational-behavior-data-commands-dcmd-verb: a setpoint goes as DCMD and is acknowledged by the DDATA that shows it', async (t) => {
    const setup = await serviceSetup(t)
    const service = await setup.start({ sparkplug: { hostId: 'scada' } })
    const { room } = startEdgeNode(t, setup.running.url)
    await waitFor(() => service.devices.get(DEVICE)?.state === 'online', 'the device online')
    const observer = await watch(t, setup.running.url, ['spBv1.0/plant/DCMD/#'])
    const record = await service.commands.setpoint(DEVICE, 23.5)
    assert.equal(record.state, 'sent')
    const [dcmd] = await observer.inbox.take(1)
    assert.deepEqual(
      decodeSparkplugPayload(dcmd!.payload).metrics.map(({ name, alias, value }) => ({ name, alias, value })),
      [{ name: undefined, alias: 2, value: 23.5 }]
    )
    assert.equal(dcmd?.packet.qos, 0)
    await waitFor(() => service.commands.history(DEVICE)[0]?.state === 'acked', 'the command acknowledged')
    assert.equal(service.commands.history(DEVICE)[0]?.appliedValue, 23.5)
    assert.equal(room.values.setpoint, 23.5)
  })

  test("tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-tags-stale: an edge node's own metrics from its NBIRTH and NDATA show with its devices in the API; its NDEATH marks them and its devices' stale until the next NBIRTH", async (t) => {
    const setup = await serviceSetup(t)
    const service = await setup.start({ sparkplug: { hostId: 'scada' } })
    const edge = await mqttClient(t, setup.running.url)
    const publish = (topic: string, payload: Parameters<typeof encodeSparkplugPayload>[0]) =>
      edge.publishAsync(`spBv1.0/plant/${topic}`, encodeSparkplugPayload(payload))
    await publish('NBIRTH/gw', {
      timestamp: Date.now(),
      seq: 0,
      metrics: [
        { name: 'bdSeq', datatype: 'Int64', value: 0 },
        { name: 'Properties/Firmware', datatype: 'String', value: '1.4.2' },
        { name: 'Supply Voltage', alias: 50, datatype: 'Float', value: 24 }
      ]
    })
    await publish('DBIRTH/gw/room', {
      timestamp: Date.now(),
      seq: 1,
      metrics: [{ name: 'temperature', alias: 1, datatype: 'Float', value: 20 }]
    })
    await publish('NDATA/gw', { timestamp: Date.now(), seq: 2, metrics: [{ alias: 50, datatype: 'Float', value: 23.5 }] })
    await waitFor(() => service.devices.get('plant/gw/room')?.sparkplug?.nodeMetrics?.['Supply Voltage'] === 23.5, 'the NDATA value')
    assert.deepEqual(service.devices.get('plant/gw/room')?.sparkplug, {
      group: 'plant',
      edgeNode: 'gw',
      nodeMetrics: { 'Properties/Firmware': '1.4.2', 'Supply Voltage': 23.5 }
    })
    const before = Date.now()
    await publish('NDEATH/gw', { timestamp: 1, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 0 }] })
    await waitFor(() => service.devices.get('plant/gw/room')?.state === 'offline', 'the device offline')
    const stale = service.devices.get('plant/gw/room')
    assert.ok((stale?.sparkplug?.staleSince ?? 0) >= before, "stale since the host's time of the NDEATH")
    assert.deepEqual(
      [stale?.lastReading?.temperature, stale?.sparkplug?.nodeMetrics?.['Supply Voltage']],
      [20, 23.5],
      'the last values kept'
    )
    await publish('NBIRTH/gw', { timestamp: Date.now(), seq: 0, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 1 }] })
    await waitFor(() => service.devices.get('plant/gw/room')?.sparkplug?.staleSince === undefined, 'fresh again after the NBIRTH')
  })

  test('a setpoint the edge node refuses ends as refused at its next DDATA, with the setpoint it kept, not as a timeout', async (t) => {
    const setup = await serviceSetup(t)
    const service = await setup.start({ sparkplug: { hostId: 'scada' }, commandTimeoutMs: 60_000 })
    const { room } = startEdgeNode(t, setup.running.url)
    await waitFor(() => service.devices.get(DEVICE)?.state === 'online', 'the device online')
    // In the service's range, above the 30 °C this room takes.
    const record = await service.commands.setpoint(DEVICE, 32)
    await waitFor(() => service.commands.history(DEVICE)[0]?.state !== 'sent', 'the command answered')
    const [answered] = service.commands.history(DEVICE)
    assert.deepEqual(
      { id: answered?.id, state: answered?.state, reason: answered?.reason },
      { id: record.id, state: 'refused', reason: 'the device kept its setpoint at 21 °C' }
    )
    assert.equal(room.values.setpoint, 21)
    const taken = await service.commands.setpoint(DEVICE, 22)
    await waitFor(() => service.commands.history(DEVICE)[0]?.state === 'acked', 'the next command acknowledged')
    assert.equal(service.commands.history(DEVICE)[0]?.id, taken.id)
  })

  test('tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline: an edge node gone without DISCONNECT (its NDEATH will) takes its devices offline', async (t) => {
    const setup = await serviceSetup(t)
    const service = await setup.start({ sparkplug: { hostId: 'scada' } })
    const { edgeNode } = startEdgeNode(t, setup.running.url, { initialMs: 60_000, maxMs: 60_000 })
    await waitFor(() => service.devices.get(DEVICE)?.state === 'online', 'the device online')
    edgeNode.drop()
    await waitFor(() => service.devices.get(DEVICE)?.state === 'offline', 'the device offline')
  })

  test('tck-id-operational-behavior-host-reordering-rebirth, tck-id-operational-behavior-data-commands-ncmd-rebirth-verb, tck-id-operational-behavior-data-commands-ncmd-rebirth-name, tck-id-operational-behavior-data-commands-ncmd-rebirth-value: a seq gap that stays open sends an NCMD Node Control/Rebirth', async (t) => {
    const setup = await serviceSetup(t)
    await setup.start({ sparkplug: { hostId: 'scada', reorderTimeoutMs: 200 } })
    const observer = await watch(t, setup.running.url, ['spBv1.0/plant/NCMD/+'])
    const edge = await mqttClient(t, setup.running.url)
    const metrics = [{ name: 'bdSeq', datatype: 'Int64' as const, value: 0 }]
    await edge.publishAsync('spBv1.0/plant/NBIRTH/site-9', encodeSparkplugPayload({ timestamp: Date.now(), seq: 0, metrics }))
    const data = encodeSparkplugPayload({ timestamp: Date.now(), seq: 2, metrics: [{ alias: 1, datatype: 'Float', value: 20 }] })
    const sent = Date.now()
    await edge.publishAsync('spBv1.0/plant/DDATA/site-9/room-1', data)
    const [rebirth] = await observer.inbox.take(1)
    assert.ok(Date.now() - sent >= 150, 'after the reorder timeout')
    assert.equal(rebirth?.topic, 'spBv1.0/plant/NCMD/site-9')
    assert.deepEqual(
      decodeSparkplugPayload(rebirth!.payload).metrics.map(({ name, datatype, value }) => ({ name, datatype, value })),
      [{ name: 'Node Control/Rebirth', datatype: 'Boolean', value: true }]
    )
  })
})
