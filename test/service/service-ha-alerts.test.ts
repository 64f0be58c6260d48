import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { Broker } from '../../broker/broker.js'
import { SparkplugEdgeNode } from '../../devices/sparkplug/sparkplug-edge-node.js'
import type { AlertRule } from '../../service/alerts/alert-rule.js'
import type { AlertRecord } from '../../service/api/api-types.js'
import type { RunningService } from '../../service/service.js'
import { ServiceError } from '../../service/service-error.js'
import { FAST_BACKOFF, waitFor } from '../devices/helpers/device-fixture.js'
import { FixedRoom } from '../devices/helpers/fixed-room.js'
import { startBroker } from '../helpers/broker.js'
import { sleep } from '../helpers/silence.js'
import { alertsOf, report, serviceConfig, twoAlertInstances } from './core/active-active-alerts.js'
import { RawDevice, startPeer } from './core/service-fixture.js'
import { eventually, type ServiceProcess } from './core/service-process.js'

/** A config file with two rules: home/hall silent for 2 s, any device above 30 °C for 1 s. */
function alertConfig(t: TestContext): string {
  return serviceConfig(t, ['alerts:', '  - { id: silent, device: home/hall, stale: true, for: 2s }', '  - { id: hot, above: 30, for: 1s }'])
}

/** The alerts as `service` lists them, once `ready` says they are what the test waits for. */
async function alertsOnce(service: ServiceProcess, ready: (alerts: AlertRecord[]) => boolean, what: string): Promise<AlertRecord[]> {
  return await eventually(
    async () => {
      const alerts = await alertsOf(service)
      return ready(alerts) ? alerts : undefined
    },
    () => `${what}\n${service.output()}`
  )
}

/** What the comparisons look at: which alert, of which rule and device, in which state; by rule and time. */
function summary(alerts: readonly AlertRecord[]): Array<Pick<AlertRecord, 'id' | 'ruleId' | 'deviceId' | 'state' | 'acknowledgedAt'>> {
  return [...alerts]
    .sort((a, b) => a.ruleId.localeCompare(b.ruleId) || a.raisedAt - b.raisedAt)
    .map(({ id, ruleId, deviceId, state, acknowledgedAt }) => ({ id, ruleId, deviceId, state, acknowledgedAt }))
}

test('active-active alerts: one instance evaluates every reading, both list its alerts, an acknowledgement through either reaches it, and the survivor of its death takes over without raising again', async (t) => {
  const config = alertConfig(t)
  const { broker, start, first, second } = await twoAlertInstances(t, config)

  // Readings split between the two instances: the hall's stop, the loft's stay hot. The leader, which sees
  // them all, raises one alert for each condition; each instance alone would see a hot loft too, and raise it.
  const hall = await RawDevice.connect(t, broker.url, 'home', 'hall')
  const loft = await RawDevice.connect(t, broker.url, 'home', 'loft')
  await Promise.all([report(hall, 20, 500), report(loft, 31, 3000)])
  const raised = await alertsOnce(second, (alerts) => alerts.length === 2, 'both alerts listed by the second instance')
  assert.deepEqual(
    summary(raised).map(({ ruleId, deviceId, state }) => [ruleId, deviceId, state]),
    [
      ['hot', 'home/loft', 'raised'],
      ['silent', 'home/hall', 'raised']
    ]
  )
  await report(loft, 31, 1000)
  for (const service of [first, second]) assert.deepEqual(summary(await alertsOf(service)), summary(raised), 'each alert once, on both')
  assert.doesNotMatch(second.output(), /leading the alerts/, 'one leader at a time')

  // Acknowledged through the instance that does not lead.
  const silent = raised.find((alert) => alert.ruleId === 'silent')!
  const answered = await second.api<AlertRecord>(`/api/alerts/${silent.id}/acknowledge`, { method: 'POST', body: '{}' })
  assert.equal(answered.state, 'acknowledged')
  const acknowledged = raised.map((alert) =>
    alert === silent ? { ...alert, state: 'acknowledged' as const, acknowledgedAt: answered.acknowledgedAt! } : alert
  )
  for (const service of [first, second]) {
    await alertsOnce(service, (alerts) => alerts.some((alert) => alert.state === 'acknowledged'), 'the acknowledgement on both')
    assert.deepEqual(summary(await alertsOf(service)), summary(acknowledged))
  }

  // The leader dies while both conditions hold: the survivor leads, with the alerts as they were.
  await first.kill()
  await second.logged(/leading the alerts/)
  await report(loft, 31, 2500)
  assert.deepEqual(summary(await alertsOf(second)), summary(acknowledged), 'neither raised again nor lost')

  // The loft cools (its alert clears), then is hot again: a new condition after the handover, one new alert.
  await report(loft, 20, 300)
  await report(loft, 31, 2500)
  const now = await alertsOf(second)
  assert.deepEqual(
    summary(now).map(({ ruleId, deviceId, state }) => [ruleId, deviceId, state]),
    [
      ['hot', 'home/loft', 'cleared'],
      ['hot', 'home/loft', 'raised'],
      ['silent', 'home/hall', 'acknowledged']
    ]
  )

  // The first comes back and, with the smallest client id, leads again: from the alerts as they are.
  const back = await start('service-a', ['--config', config])
  await back.logged(/leading the alerts/)
  await report(loft, 31, 1500)
  for (const service of [back, second]) {
    await alertsOnce(service, (alerts) => alerts.length === 3, 'the three alerts listed')
    assert.deepEqual(summary(await alertsOf(service)), summary(now))
  }
})

const silentHall: AlertRule = { id: 'silent', deviceId: 'home/hall', condition: { kind: 'stale', forMs: 300 }, severity: 'warning' }

/** Two active-active instances in this process with the silent-hall rule, and the alert it raised once the hall fell silent. */
async function silentHallAlert(
  t: TestContext,
  url: string
): Promise<{ a: RunningService; b: RunningService; hall: RawDevice; alert: AlertRecord }> {
  const a = await startPeer(t, url, 'service-a', { alertRules: [silentHall] })
  const b = await startPeer(t, url, 'service-b', { alertRules: [silentHall] })
  const hall = await RawDevice.connect(t, url, 'home', 'hall')
  await hall.reading({ temperature: 20 })
  await waitFor(() => b.alerts.list().length === 1, 'the silent alert listed by b')
  return { a, b, hall, alert: b.alerts.list()[0]! }
}

test('active-active alerts: without a broker, an acknowledgement through an instance that does not lead is refused, not answered as done', async (t) => {
  const running = await startBroker()
  const { b, alert } = await silentHallAlert(t, running.url)
  await running.close()
  await waitFor(() => {
    try {
      b.alerts.acknowledge(alert.id)
      return false
    } catch (error) {
      return error instanceof ServiceError && error.code === 'broker-unavailable'
    }
  }, 'broker-unavailable once b has lost the broker')
  assert.equal(b.alerts.list()[0]?.state, 'raised')
})

test('active-active alerts: the leader shares its alerts again when it reconnects, so a broker restarted without its retained messages gets them back', async (t) => {
  const running = await startBroker()
  const { a, hall, alert } = await silentHallAlert(t, running.url)
  // Gone for good, and without a will, which would be word from the hall.
  await hall.client.endAsync()
  await running.close()
  const again = new Broker({})
  await again.listen({ host: '127.0.0.1', port: running.port })
  t.after(() => again.close())
  const c = await startPeer(t, running.url, 'service-c', { alertRules: [silentHall] })
  await waitFor(() => c.alerts.list().length === 1, 'the alert listed by an instance started after the restart', 10_000)
  assert.deepEqual(c.alerts.list(), [alert])
  assert.deepEqual(a.alerts.list(), [alert])
})

test("active-active alerts: Sparkplug readings, which every instance reads in full, reach the leader's alerts", async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const warm: AlertRule = { id: 'warm', deviceId: '*', condition: { kind: 'above', threshold: 20, forMs: 0 }, severity: 'info' }
  const a = await startPeer(t, running.url, 'service-a', { alertRules: [warm], sparkplug: { hostId: 'scada-a' } })
  const b = await startPeer(t, running.url, 'service-b', { alertRules: [warm], sparkplug: { hostId: 'scada-b' } })
  await sleep(700) // the leader leads 0.5 s after its link subscribed
  const edgeNode = new SparkplugEdgeNode({ urls: [running.url], group: 'plant', edgeNode: 'site-1', backoff: FAST_BACKOFF })
  edgeNode.attach(new FixedRoom('room-1'))
  edgeNode.start()
  t.after(() => edgeNode.stop())
  for (const service of [a, b]) await waitFor(() => service.alerts.list().length === 1, "the warm room's alert")
  assert.deepEqual(
    b.alerts.list().map(({ ruleId, deviceId }) => [ruleId, deviceId]),
    [['warm', 'plant/site-1/room-1']]
  )
})
