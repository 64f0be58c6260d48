import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bridgeSettings, startBridgedBroker, untilBridge } from '../../helpers/bridged-brokers.js'
import { startBroker } from '../../helpers/broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'

// Out, in and both ways between two of our brokers in this process: a site broker with a bridge to a cloud broker.

test('out: a site message on a bridged topic reaches the cloud, with its QoS, retain flag and properties', async (t) => {
  const cloud = await startBroker()
  t.after(() => cloud.close())
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', cloud.url, [{ pattern: 'readings/#', direction: 'out' }])], 'site')
  await untilBridge(site.broker, 'cloud')
  const watcher = await mqttClient(t, cloud.url)
  const inbox = new Inbox(watcher)
  await watcher.subscribeAsync('#', { qos: 1 })
  const sensor = await mqttClient(t, site.url)
  await sensor.publishAsync('readings/t1', '21.5', { qos: 1, properties: { contentType: 'text/plain', userProperties: { unit: 'C' } } })
  await sensor.publishAsync('commands/t1', 'not bridged', { qos: 1 })
  const [message] = await inbox.take(1)
  assert.equal(message!.topic, 'readings/t1')
  assert.equal(message!.payload.toString(), '21.5')
  assert.equal(message!.packet.qos, 1)
  assert.equal(message!.packet.properties?.contentType, 'text/plain')
  assert.equal(message!.packet.properties?.userProperties?.unit, 'C')
  await inbox.none(600)
})

test('in: a cloud message on a bridged topic reaches the site; the site does not send it back', async (t) => {
  const cloud = await startBroker()
  t.after(() => cloud.close())
  const site = await startBridgedBroker(
    t,
    [bridgeSettings('cloud', cloud.url, [{ pattern: 'commands/#', direction: 'in', qos: 2 }])],
    'site'
  )
  await untilBridge(site.broker, 'cloud')
  const device = await mqttClient(t, site.url)
  const inbox = new Inbox(device)
  await device.subscribeAsync('commands/#', { qos: 2 })
  const cloudWatcher = await mqttClient(t, cloud.url)
  const cloudInbox = new Inbox(cloudWatcher)
  await cloudWatcher.subscribeAsync('#', { qos: 1 })
  const operator = await mqttClient(t, cloud.url)
  await operator.publishAsync('commands/t1', 'setpoint 20', { qos: 2 })
  const [message] = await inbox.take(1)
  assert.equal(message!.topic, 'commands/t1')
  assert.equal(message!.packet.qos, 2)
  const [own] = await cloudInbox.take(1)
  assert.equal(own!.payload.toString(), 'setpoint 20')
  await cloudInbox.none(600)
  await inbox.none(600)
})

test('both: each side gets the other side’s messages once, and nothing comes back', async (t) => {
  const cloud = await startBroker()
  t.after(() => cloud.close())
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', cloud.url, [{ pattern: 'shared/#', direction: 'both' }])], 'site')
  await untilBridge(site.broker, 'cloud')
  const atSite = await mqttClient(t, site.url)
  const atCloud = await mqttClient(t, cloud.url)
  const siteInbox = new Inbox(atSite)
  const cloudInbox = new Inbox(atCloud)
  await atSite.subscribeAsync('shared/#', { qos: 1, nl: true })
  await atCloud.subscribeAsync('shared/#', { qos: 1, nl: true })
  await atSite.publishAsync('shared/from-site', 's', { qos: 1 })
  await atCloud.publishAsync('shared/from-cloud', 'c', { qos: 1 })
  assert.deepEqual(
    (await cloudInbox.take(1)).map((m) => m.topic),
    ['shared/from-site']
  )
  assert.deepEqual(
    (await siteInbox.take(1)).map((m) => m.topic),
    ['shared/from-cloud']
  )
  await cloudInbox.none(600)
  await siteInbox.none(600)
})

test('prefixes trade the local prefix for the remote one, both ways, as in Mosquitto', async (t) => {
  const cloud = await startBroker()
  t.after(() => cloud.close())
  const topics = [
    { pattern: 'readings/#', direction: 'out' as const, localPrefix: '', remotePrefix: 'sites/s1/' },
    { pattern: '#', direction: 'in' as const, localPrefix: 'from-cloud/', remotePrefix: 'to-sites/s1/' }
  ]
  const site = await startBridgedBroker(t, [bridgeSettings('cloud', cloud.url, topics)], 'site')
  await untilBridge(site.broker, 'cloud')
  const atSite = await mqttClient(t, site.url)
  const atCloud = await mqttClient(t, cloud.url)
  const siteInbox = new Inbox(atSite)
  const cloudInbox = new Inbox(atCloud)
  await atSite.subscribeAsync('from-cloud/#', { qos: 1 })
  await atCloud.subscribeAsync('sites/#', { qos: 1 })
  await atSite.publishAsync('readings/t1', '21', { qos: 1 })
  await atCloud.publishAsync('to-sites/s1/commands/t1', 'on', { qos: 1 })
  assert.deepEqual(
    (await cloudInbox.take(1)).map((m) => m.topic),
    ['sites/s1/readings/t1']
  )
  assert.deepEqual(
    (await siteInbox.take(1)).map((m) => m.topic),
    ['from-cloud/commands/t1']
  )
})

test('clients cannot connect with a bridge session’s client id', async (t) => {
  const site = await startBridgedBroker(t, [], 'site')
  await assert.rejects(mqttClient(t, site.url, { clientId: '$bridge/cloud' }), /Client Identifier not valid|identifier/i)
})
