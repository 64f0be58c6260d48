import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { SparkplugMetric, SparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { parseSparkplugTopic } from '../../../common/sparkplug/sparkplug-topics.js'
import type { DeviceStatus } from '../../../service/adapters/adapter.js'
import type { Reading } from '../../../service/reading.js'
import { deviceFromBirth, setpointInDeviceUnit } from '../../../service/sparkplug/device-metrics.js'
import { EdgeNodeStates } from '../../../service/sparkplug/edge-node-states.js'
import type { EdgeNodeReport } from '../../../service/sparkplug/node-metrics.js'
import { sleep } from '../../helpers/silence.js'

/** The host application's view of edge nodes, fed messages directly: sessions, deaths, and the seq order. */

const T = 1_700_000_000_000

function recorder(reorderTimeoutMs = 100) {
  const readings: Reading[] = []
  const statuses: Array<Pick<DeviceStatus, 'deviceId' | 'online' | 'state'>> = []
  const rebirths: string[] = []
  const setpoints: Array<[string, number]> = []
  const edgeNodes: Array<[string, EdgeNodeReport]> = []
  const states = new EdgeNodeStates(
    {
      reading: (reading) => readings.push(reading),
      status: ({ deviceId, online, state }) => statuses.push({ deviceId, online, state }),
      rebirth: (group, edgeNode) => rebirths.push(`${group}/${edgeNode}`),
      setpointReported: (deviceId, setpoint) => setpoints.push([deviceId, setpoint]),
      edgeNode: (site, report) => edgeNodes.push([site, report])
    },
    reorderTimeoutMs,
    // A clock that stands still: how often rebirths are asked for must not depend on how loaded the machine is.
    () => T
  )
  const send = (topic: string, payload: SparkplugPayload): void => {
    const parsed = parseSparkplugTopic(topic)
    assert.ok(parsed !== undefined && parsed.kind !== 'state', topic)
    states.handle(parsed, payload, T)
  }
  return { states, readings, statuses, rebirths, setpoints, edgeNodes, send }
}

const nbirth = (bdSeq: number): SparkplugPayload => ({
  timestamp: T,
  seq: 0,
  metrics: [
    { name: 'bdSeq', datatype: 'Int64', value: bdSeq },
    { name: 'Node Control/Rebirth', datatype: 'Boolean', value: false }
  ]
})
const dbirth = (seq: number): SparkplugPayload => ({
  timestamp: T,
  seq,
  metrics: [
    { name: 'temperature', alias: 1, datatype: 'Float', value: 20.299999237060547 },
    { name: 'setpoint', alias: 2, datatype: 'Float', value: 21 },
    { name: 'heating', alias: 3, datatype: 'Boolean', value: true }
  ]
})
const ddata = (seq: number, metrics: SparkplugMetric[]): SparkplugPayload => ({ timestamp: T + seq, seq, metrics })
const temperature = (value: number): SparkplugMetric => ({ alias: 1, datatype: 'Float', value })

function born() {
  const host = recorder()
  host.send('spBv1.0/plant/NBIRTH/gw', nbirth(7))
  host.send('spBv1.0/plant/DBIRTH/gw/room', dbirth(1))
  return host
}

describe('EdgeNodeStates', () => {
  test('births and data become readings of plant/gw/room (aliases resolved, Float noise rounded, the setpoint carried)', (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(20.5)]))
    assert.deepEqual(host.statuses, [{ deviceId: 'plant/gw/room', online: true, state: 'DBIRTH' }])
    assert.deepEqual(
      host.readings.map(({ deviceId, site, device, source, temperature, setpoint, heating }) => ({
        deviceId,
        site,
        device,
        source,
        temperature,
        setpoint,
        heating
      })),
      [
        {
          deviceId: 'plant/gw/room',
          site: 'plant/gw',
          device: 'room',
          source: 'sparkplug',
          temperature: 20.3,
          setpoint: 21,
          heating: true
        },
        { deviceId: 'plant/gw/room', site: 'plant/gw', device: 'room', source: 'sparkplug', temperature: 20.5, setpoint: 21, heating: true }
      ]
    )
    assert.deepEqual(host.rebirths, [])
  })

  test('a DBIRTH or DDATA that holds the setpoint reports it (the answer to a DCMD); data without it reports nothing', (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(20.5)]))
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(3, [temperature(20.5), { alias: 2, datatype: 'Float', value: 22.5 }]))
    assert.deepEqual(host.setpoints, [
      ['plant/gw/room', 21],
      ['plant/gw/room', 22.5]
    ])
  })

  test('tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline, tck-id-operational-behavior-edge-node-termination-host-action-ndeath-devices-offline: an NDEATH with the session bdSeq marks the edge node and its devices offline; a stale bdSeq is ignored', (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/NDEATH/gw', { timestamp: T, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 6 }] })
    assert.equal(host.statuses.length, 1, 'the stale NDEATH changes nothing')
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(19)]))
    assert.equal(host.readings.length, 2, 'the session goes on')
    host.send('spBv1.0/plant/NDEATH/gw', { timestamp: T, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 7 }] })
    assert.deepEqual(host.statuses.at(-1), { deviceId: 'plant/gw', online: false, state: 'NDEATH' })
  })

  test('tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline: a DDEATH marks its device offline', (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDEATH/gw/room', { timestamp: T, seq: 2, metrics: [] })
    assert.deepEqual(host.statuses.at(-1), { deviceId: 'plant/gw/room', online: false, state: 'DDEATH' })
  })

  test('tck-id-operational-behavior-host-reordering-start, tck-id-operational-behavior-host-reordering-success: a message ahead of its turn waits for the missing one, then both are taken in order', async (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(3, [temperature(23)]))
    assert.equal(host.readings.length, 1, 'held')
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(22)]))
    assert.deepEqual(
      host.readings.map((reading) => reading.temperature),
      [20.3, 22, 23]
    )
    await sleep(150)
    assert.deepEqual(host.rebirths, [], 'the timer stopped')
  })

  test('tck-id-operational-behavior-host-reordering-rebirth: a gap still open when the reorder timeout runs out asks for a rebirth, and nothing is taken until the new births', async (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(3, [temperature(23)]))
    await sleep(150)
    assert.deepEqual(host.rebirths, ['plant/gw'])
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(4, [temperature(24)]))
    assert.equal(host.readings.length, 1)
    assert.deepEqual(host.rebirths, ['plant/gw'], 'asked once per reorder window')
    host.send('spBv1.0/plant/NBIRTH/gw', nbirth(7))
    host.send('spBv1.0/plant/DBIRTH/gw/room', dbirth(1))
    assert.equal(host.readings.length, 2)
  })

  test('a device whose birth gives its temperatures in °F reports in °C, and takes its setpoint written in °F', (t) => {
    const host = recorder()
    t.after(() => host.states.close())
    const fahrenheit = { engUnit: '°F' }
    const metrics: SparkplugMetric[] = [
      { name: 'temperature', alias: 1, datatype: 'Float', value: 70.5, properties: fahrenheit },
      { name: 'setpoint', alias: 2, datatype: 'Float', value: 68, properties: fahrenheit }
    ]
    host.send('spBv1.0/plant/NBIRTH/gw', nbirth(1))
    host.send('spBv1.0/plant/DBIRTH/gw/room', { timestamp: T, seq: 1, metrics })
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(71.6)]))
    assert.deepEqual(
      host.readings.map(({ temperature, setpoint }) => [temperature, setpoint]),
      [
        [21.39, 20],
        [22, 20]
      ]
    )
    const device = deviceFromBirth(metrics, T)
    assert.equal(setpointInDeviceUnit(device, 21.5), 70.7)
    assert.equal(setpointInDeviceUnit(deviceFromBirth(dbirth(1).metrics, T), 21.5), 21.5)
  })

  test("tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale: an edge node's own metrics: its NBIRTH's (without bdSeq and Node Control), then each NDATA that changes one, by alias; stale from its NDEATH at the host's time", (t) => {
    const host = recorder()
    t.after(() => host.states.close())
    const birth = nbirth(3)
    birth.metrics.push(
      { name: 'Properties/Firmware', datatype: 'String', value: '1.4.2' },
      { name: 'Uptime', alias: 100, datatype: 'UInt32', value: 5 }
    )
    host.send('spBv1.0/plant/NBIRTH/gw', birth)
    host.send('spBv1.0/plant/NDATA/gw', { timestamp: T, seq: 1, metrics: [{ alias: 100, datatype: 'UInt32', value: 6 }] })
    host.send('spBv1.0/plant/NDATA/gw', { timestamp: T, seq: 2, metrics: [{ alias: 100, datatype: 'UInt32', value: 6 }] })
    host.send('spBv1.0/plant/NDEATH/gw', { timestamp: T - 5000, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 3 }] })
    assert.deepEqual(host.edgeNodes, [
      ['plant/gw', { metrics: { 'Properties/Firmware': '1.4.2', Uptime: 5 } }],
      ['plant/gw', { metrics: { 'Properties/Firmware': '1.4.2', Uptime: 6 } }],
      ['plant/gw', { metrics: { 'Properties/Firmware': '1.4.2', Uptime: 6 }, staleSince: T }]
    ])
    assert.deepEqual(host.rebirths, [], 'NDATA keeps the seq')
  })

  test('commands to an edge node (the host hears its own) are no part of its session: no rebirth asked, nothing taken', (t) => {
    const host = born()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DCMD/gw/room', { timestamp: T, metrics: [{ alias: 2, datatype: 'Float', value: 22 }] })
    host.send('spBv1.0/plant/NCMD/gw', { timestamp: T, metrics: [{ name: 'Node Control/Rebirth', datatype: 'Boolean', value: true }] })
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(2, [temperature(20.5)]))
    assert.deepEqual(host.rebirths, [])
    assert.deepEqual(host.setpoints, [['plant/gw/room', 21]])
    assert.equal(host.readings.length, 2)
  })

  test('data from an edge node the host has no session with (it started after the births) asks for a rebirth', (t) => {
    const host = recorder()
    t.after(() => host.states.close())
    host.send('spBv1.0/plant/DDATA/gw/room', ddata(9, [temperature(20)]))
    assert.deepEqual(host.rebirths, ['plant/gw'])
    assert.equal(host.readings.length, 0)
  })
})
