import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AlertRule } from '../../../service/alerts/alert-rule.js'
import type { AlertRecord } from '../../../service/api/api-types.js'
import { ServiceError } from '../../../service/service-error.js'
import { waitFor, watch } from '../../devices/helpers/device-fixture.js'
import { RawDevice, serviceSetup } from '../core/service-fixture.js'
import { webhookReceiver } from '../core/webhook-receiver.js'

const hot: AlertRule = { id: 'hot', deviceId: '*', condition: { kind: 'above', threshold: 30, forMs: 200 }, severity: 'critical' }
const silent: AlertRule = { id: 'silent', deviceId: 'home/hall', condition: { kind: 'stale', forMs: 300 }, severity: 'warning' }

test('above a threshold for a duration: raised, acknowledged, cleared; published, posted and counted on the device', async (t) => {
  const { running, start } = await serviceSetup(t)
  const hook = await webhookReceiver(t)
  const service = await start({ alertRules: [hot], webhookUrl: hook.url })
  const { inbox } = await watch(t, running.url, ['thermopost/+/+/alert'])
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')

  await device.reading({ temperature: 31 })
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(service.alerts.list(), [], 'not before the duration')
  await device.reading({ temperature: 31.5 })
  await waitFor(() => service.alerts.list().length === 1, 'the alert raised')
  const raised = service.alerts.list()[0]
  assert.equal(raised.state, 'raised')
  assert.equal(raised.severity, 'critical')
  assert.equal(raised.deviceId, 'home/hall')
  assert.match(raised.message, /^above 30 °C for 0\.2 s \(31(\.5)? °C\)$/)
  assert.equal(service.devices.get('home/hall')?.openAlerts, 1)

  const acknowledged = service.alerts.acknowledge(raised.id)
  assert.equal(acknowledged.state, 'acknowledged')
  assert.equal(typeof acknowledged.acknowledgedAt, 'number')
  assert.throws(
    () => service.alerts.acknowledge('nope'),
    (error) => error instanceof ServiceError && error.code === 'unknown-alert'
  )

  await device.reading({ temperature: 25 })
  await waitFor(() => service.alerts.list({ state: 'cleared' }).length === 1, 'the alert cleared')
  assert.equal(typeof service.alerts.list()[0].clearedAt, 'number')
  assert.equal(service.devices.get('home/hall')?.openAlerts, 0)

  const published = await inbox.take(3)
  assert.deepEqual(
    published.map((m) => [m.topic, (JSON.parse(m.payload.toString()) as AlertRecord).state]),
    [
      ['thermopost/home/hall/alert', 'raised'],
      ['thermopost/home/hall/alert', 'acknowledged'],
      ['thermopost/home/hall/alert', 'cleared']
    ]
  )
  await waitFor(() => hook.received.length === 3, 'the webhook posts')
  assert.deepEqual(hook.received.map((alert) => [alert.id, alert.state]).sort(), [
    [raised.id, 'acknowledged'],
    [raised.id, 'cleared'],
    [raised.id, 'raised']
  ])
})

test('a reading back within bounds resets the duration', async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start({ alertRules: [hot] })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  for (const temperature of [31, 29, 31, 29]) {
    await device.reading({ temperature })
    await new Promise((resolve) => setTimeout(resolve, 120))
  }
  assert.deepEqual(service.alerts.list(), [])
})

test('a device silent for the duration raises a stale alert, cleared by its next message; a failing webhook changes nothing', async (t) => {
  const { running, start } = await serviceSetup(t)
  const service = await start({ alertRules: [silent], webhookUrl: 'http://127.0.0.1:1/unreachable' })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ temperature: 20 })
  await waitFor(() => service.alerts.list({ state: 'raised' }).length === 1, 'the stale alert')
  assert.equal(service.alerts.list()[0].message, 'silent for 0.3 s')
  await device.reading({ temperature: 20 })
  await waitFor(() => service.alerts.list({ state: 'cleared' }).length === 1, 'cleared by the reading')
})

test('alerts outlive a restart: a raised one is listed and still clears; one whose rule is gone is cleared', async (t) => {
  const { running, start } = await serviceSetup(t)
  const first = await start({ alertRules: [hot, { ...hot, id: 'hot-too' }], clientId: 'alerts-a' })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ temperature: 31 })
  await new Promise((resolve) => setTimeout(resolve, 250))
  await device.reading({ temperature: 31.5 })
  await waitFor(() => first.alerts.list().length === 2, 'both alerts raised')
  const raised = first.alerts.list().find((alert) => alert.ruleId === 'hot')!
  await first.close()

  // The second rule is no longer configured.
  const second = await start({ alertRules: [hot], clientId: 'alerts-a' })
  assert.deepEqual(
    second.alerts.list({ state: 'raised' }).map((alert) => [alert.id, alert.raisedAt]),
    [[raised.id, raised.raisedAt]]
  )
  assert.deepEqual(
    second.alerts.list({ state: 'cleared' }).map((alert) => alert.ruleId),
    ['hot-too']
  )
  assert.equal(second.devices.get('home/hall')?.openAlerts, 1)
  second.alerts.acknowledge(raised.id)
  await device.reading({ temperature: 25 })
  await waitFor(() => second.alerts.list({ state: 'cleared' }).length === 2, 'the restored alert cleared by a reading in bounds')
  assert.equal(second.devices.get('home/hall')?.openAlerts, 0)
})
