import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import type { AlertRecord } from '../../service/api/api-types.js'
import { presenceTopic } from '../../service/peers/peer-topics.js'
import type { RunningBroker } from '../helpers/broker.js'
import { alertsOf, report, serviceConfig, twoAlertInstances } from './core/active-active-alerts.js'
import { RawDevice } from './core/service-fixture.js'
import { eventually, type ServiceProcess } from './core/service-process.js'
import { webhookReceiver } from './core/webhook-receiver.js'

/** Two alert leaders at once (a split): one alert per episode on every instance, whichever instance acknowledged it. */

/** Waits until both instances list the same alerts, `count` of them, the newest in `state`; returns them. */
async function sameOnBoth(services: readonly ServiceProcess[], count: number, state: AlertRecord['state']): Promise<AlertRecord[]> {
  return await eventually(
    async () => {
      const lists = await Promise.all(services.map(alertsOf))
      const [first] = lists
      if (first?.length !== count || first[0]?.state !== state) return undefined
      return lists.every((list) => JSON.stringify(list) === JSON.stringify(first)) ? first : undefined
    },
    () => `${count} alerts, the newest ${state}, the same on both\n${services.map((service) => service.output()).join('\n')}`
  )
}

/**
 * `service-a` and `service-b` on `config`, both leading the alerts: the second no longer hears of the first
 * (its announcement cleared, as if lost), so it leads too, and both evaluate every reading on feeds of their
 * own. With the client that cleared it, for the readings.
 */
async function splitLeaders(
  t: TestContext,
  config: string
): Promise<{ broker: RunningBroker; client: MqttClient; first: ServiceProcess; second: ServiceProcess }> {
  const { broker, first, second } = await twoAlertInstances(t, config)
  const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 })
  t.after(() => client.endAsync())
  await client.publishAsync(presenceTopic('service-a'), Buffer.alloc(0), { qos: 1, retain: true })
  await second.logged(/leading the alerts/)
  await second.logged(/reading every reading, for the alert rules/)
  return { broker, client, first, second }
}

test('active-active alerts: two leaders at once (a split) raise one alert per episode, listed once by both, acknowledged through either', async (t) => {
  const webhook = await webhookReceiver(t)
  const config = serviceConfig(t, ['alerts:', '  - { id: hot, above: 30, for: 1s }', `webhook_url: ${webhook.url}`])
  const { broker, first, second } = await splitLeaders(t, config)
  assert.doesNotMatch(first.output(), /another instance leads the alerts now/, 'the first still leads')

  // The loft is hot: each leader raises the episode's alert, under the same id, and each instance lists it once.
  const loft = await RawDevice.connect(t, broker.url, 'home', 'loft')
  await report(loft, 31, 2500)
  const [raised] = await sameOnBoth([first, second], 1, 'raised')
  await report(loft, 31, 1000)
  assert.deepEqual(await alertsOf(first), [raised], 'still one alert on the first')
  assert.deepEqual(await alertsOf(second), [raised], 'still one alert on the second')
  for (const service of [first, second]) await service.logged(/two instances lead at once/)
  assert.deepEqual(new Set(webhook.received.map((alert) => alert.id)), new Set([raised!.id]), 'every post names the one alert')

  // Acknowledged through the second: both list it acknowledged, as of that request.
  const answered = await second.api<AlertRecord>(`/api/alerts/${raised!.id}/acknowledge`, { method: 'POST', body: '{}' })
  const [acknowledged] = await sameOnBoth([first, second], 1, 'acknowledged')
  assert.equal(acknowledged!.acknowledgedAt, answered.acknowledgedAt)

  // It cools: both leaders clear it, still one alert.
  await report(loft, 20, 500)
  await sameOnBoth([first, second], 1, 'cleared')

  // Hot again, a new episode: one new alert, acknowledged through the first this time.
  await report(loft, 31, 2500)
  const [again] = await sameOnBoth([first, second], 2, 'raised')
  assert.notEqual(again!.id, raised!.id)
  await first.api<AlertRecord>(`/api/alerts/${again!.id}/acknowledge`, { method: 'POST', body: '{}' })
  const both = await sameOnBoth([first, second], 2, 'acknowledged')
  assert.deepEqual(
    both.map(({ id, state }) => [id, state]),
    [
      [again!.id, 'acknowledged'],
      [raised!.id, 'cleared']
    ]
  )
})

test('active-active alerts: two leaders that time the readings each by their own clock (Tasmota) still list one alert per episode, and a posted alert dropped for it is posted cleared', async (t) => {
  const webhook = await webhookReceiver(t)
  const config = serviceConfig(t, [
    'adapters: [thermopost, tasmota]',
    'alerts:',
    '  - { id: hot, above: 30, for: 1s }',
    `webhook_url: ${webhook.url}`
  ])
  const { client, first, second } = await splitLeaders(t, config)

  // Tasmota's Time has no zone, so each leader times a reading when it hears it: their episodes begin at
  // different times, their ids differ, and the two alerts fold into the first raised.
  const sensor = {
    reading: ({ temperature }: { temperature: number }) =>
      client.publishAsync('tele/loft/SENSOR', JSON.stringify({ Time: '2026-12-03T19:00:00', DS18B20: { Temperature: temperature } }), {
        qos: 1
      })
  }
  await report(sensor, 31, 2500)
  const [raised] = await sameOnBoth([first, second], 1, 'raised')
  await report(sensor, 31, 1000)
  assert.deepEqual(await alertsOf(first), [raised])
  assert.deepEqual(await alertsOf(second), [raised])
  await eventually(
    async () => {
      const ended = new Set(webhook.received.filter((alert) => alert.state === 'cleared').map((alert) => alert.id))
      const others = webhook.received.filter((alert) => alert.state === 'raised' && alert.id !== raised!.id)
      return others.every((alert) => ended.has(alert.id)) ? true : undefined
    },
    () => `every other raised alert posted cleared: ${JSON.stringify(webhook.received)}`
  )

  await first.api<AlertRecord>(`/api/alerts/${raised!.id}/acknowledge`, { method: 'POST', body: '{}' })
  const [acknowledged] = await sameOnBoth([first, second], 1, 'acknowledged')
  assert.equal(acknowledged!.id, raised!.id)
})
