import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { decodeHostState } from '../../../common/sparkplug/host-state.js'
import { decodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { SparkplugFleet } from '../../../devices/sparkplug/sparkplug-fleet.js'
import type { Reading } from '../../../service/reading.js'
import type { RunningService } from '../../../service/service.js'
import { CuttableProxy } from '../../devices/helpers/cuttable-proxy.js'
import { FAST_BACKOFF, waitFor, watch } from '../../devices/helpers/device-fixture.js'
import { startBroker } from '../../helpers/broker.js'
import { type RecordingHistory, startPeer } from '../core/service-fixture.js'

/** An active-active instance asked to be the Sparkplug host `scada`, on a data directory and history of its own. */
async function startInstance(
  t: TestContext,
  url: string,
  clientId: string
): Promise<{ service: RunningService; history: RecordingHistory }> {
  const service = await startPeer(t, url, clientId, { sparkplug: { hostId: 'scada', reorderTimeoutMs: 200 } })
  // startPeer's history is a recording one.
  return { service, history: service.history as RecordingHistory }
}

const sparkplugReadings = (history: RecordingHistory): Reading[] => history.readings.filter((reading) => reading.source === 'sparkplug')

test('active-active: one instance runs the Sparkplug host, so each reading is stored once, and writes the setpoints the others send; when it dies the next one takes over and asks the edge nodes for their births', async (t) => {
  const running = await startBroker({ sysInterval: 0 })
  t.after(() => running.close())
  // service-a, the first in line, reaches the broker through a link the test can cut: a machine that dies.
  const proxy = await CuttableProxy.start(t, running.port)
  const states = await watch(t, running.url, ['spBv1.0/STATE/scada'])
  const a = await startInstance(t, proxy.url, 'service-a')
  const b = await startInstance(t, running.url, 'service-b')
  const commands = await watch(t, running.url, ['spBv1.0/plant/NCMD/+'])

  const fleet = new SparkplugFleet({
    urls: [running.url],
    group: 'plant',
    devices: 4,
    sites: 2,
    interval: 0.1,
    timeScale: 1,
    mqttVersion: 5,
    flaky: 0,
    seed: 7,
    backoff: FAST_BACKOFF
  })
  t.after(() => fleet.stop())
  await fleet.start()
  await waitFor(() => sparkplugReadings(a.history).length >= 20, 'readings stored by service-a')
  assert.deepEqual(sparkplugReadings(b.history), [], 'service-b runs no host while service-a does')
  assert.deepEqual([a.service.sparkplugHost?.(), b.service.sparkplugHost?.()], [true, false])
  // A setpoint sent through service-b is written by service-a, whose host knows the device's aliases and units.
  const device = 'plant/site-1/room-00001'
  await waitFor(() => b.service.devices.get(device)?.state === 'online', 'the device online in service-b')
  const sent = await b.service.commands.setpoint(device, 23)
  await waitFor(() => b.service.commands.history(device)[0]?.state === 'acked', 'the setpoint acknowledged, as service-b learns')
  assert.equal(b.service.commands.history(device)[0]?.id, sent.id)
  assert.equal(fleet.thermostats[0]?.model.setpoint, 23)
  assert.deepEqual(
    states.inbox.all.map(({ payload }) => decodeHostState(payload).online),
    [true],
    'one birth STATE, from one host'
  )

  proxy.cutLink()
  await waitFor(() => sparkplugReadings(b.history).length >= 20, 'readings stored by service-b once service-a is gone', 10_000)
  const [will, birth] = states.inbox.all.slice(1).map(({ payload }) => decodeHostState(payload))
  assert.deepEqual([will?.online, birth?.online], [false, true], "service-a's will, then service-b's birth")
  assert.equal(b.service.sparkplugHost?.(), true)
  // service-b met the edge nodes mid-session: it asked each for its births, and took their data from those on.
  const asked = new Set(
    commands.inbox.all
      .filter(({ payload }) => decodeSparkplugPayload(payload).metrics.some((metric) => metric.name === 'Node Control/Rebirth'))
      .map(({ topic }) => topic)
  )
  assert.deepEqual([...asked].sort(), ['spBv1.0/plant/NCMD/site-1', 'spBv1.0/plant/NCMD/site-2'])
  await waitFor(() => b.service.devices.list().filter((device) => device.source === 'sparkplug').length === 4, 'every device in service-b')
  const storedByA = new Set(sparkplugReadings(a.history).map((reading) => `${reading.deviceId}@${reading.time}`))
  assert.deepEqual(
    sparkplugReadings(b.history).filter((reading) => storedByA.has(`${reading.deviceId}@${reading.time}`)),
    [],
    'no reading stored by both'
  )
})
