import assert from 'node:assert/strict'
import { test } from 'node:test'
import { bridgeSettings, MosquittoProcess, startBridgedBroker, untilBridge } from '../../helpers/bridged-brokers.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'

// Debian's Mosquitto as the remote, over 5.0 and 3.1.1: what a site broker bridged to a Mosquitto in the cloud does.

for (const protocolVersion of [5, 4] as const) {
  const version = protocolVersion === 5 ? '5.0' : '3.1.1'

  test(`${version}: both ways with Mosquitto, each message once on each side, nothing echoed back`, async (t) => {
    const mosquitto = await MosquittoProcess.start(t)
    const topics = [{ pattern: 'plant/#', direction: 'both' as const, qos: 1 as const }]
    const site = await startBridgedBroker(t, [bridgeSettings('cloud', mosquitto.url, topics, { protocolVersion })], 'site')
    await untilBridge(site.broker, 'cloud')
    const atSite = await mqttClient(t, site.url)
    const atCloud = await mqttClient(t, mosquitto.url, { protocolVersion })
    const siteInbox = new Inbox(atSite)
    const cloudInbox = new Inbox(atCloud)
    await atSite.subscribeAsync('plant/#', { qos: 1 })
    await atCloud.subscribeAsync('plant/#', { qos: 1 })
    // Let the bridge's own subscription at Mosquitto settle before the first message.
    await new Promise((resolve) => setTimeout(resolve, 200))
    for (let i = 0; i < 5; i++) await atSite.publishAsync(`plant/site/${i}`, `s${i}`, { qos: 1 })
    for (let i = 0; i < 5; i++) await atCloud.publishAsync(`plant/cloud/${i}`, `c${i}`, { qos: 1 })
    const expected = [0, 1, 2, 3, 4].map((i) => `plant/site/${i}`).concat([0, 1, 2, 3, 4].map((i) => `plant/cloud/${i}`))
    const atSiteTopics = (await siteInbox.take(10)).map((m) => m.topic)
    const atCloudTopics = (await cloudInbox.take(10)).map((m) => m.topic)
    assert.deepEqual(atSiteTopics.sort(), [...expected].sort())
    assert.deepEqual(atCloudTopics.sort(), [...expected].sort())
    await siteInbox.none(600)
    await cloudInbox.none(0)
    const state = site.broker.bridges!.states().get('cloud')!
    assert.equal(state.forwardedOut, 5)
    assert.equal(state.forwardedIn, 5)
  })
}
