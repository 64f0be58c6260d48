import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStore } from '../../../broker/store/memory.js'
import {
  bridgeSettings,
  capturedLog,
  MosquittoProcess,
  startBridgedBroker,
  subscribeForLater,
  until,
  untilBridge
} from '../../helpers/bridged-brokers.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

/** A memory store whose commits wait until the test opens the gate: an acknowledgement that waits for it shows. */
class GatedStore extends MemoryStore {
  private opened = false
  private readonly waiting: Array<() => void> = []

  override flush(): Promise<void> {
    if (this.opened) return Promise.resolve()
    return new Promise((resolve) => this.waiting.push(resolve))
  }

  release(): void {
    this.opened = true
    for (const resolve of this.waiting.splice(0)) resolve()
  }
}

for (const protocolVersion of [5, 4] as const) {
  test(`${protocolVersion === 5 ? '5.0' : '3.1.1'}: a remote QoS 1 message is acknowledged to the remote only once it is stored here`, async (t) => {
    const mosquitto = await MosquittoProcess.start(t)
    const store = new GatedStore()
    const settings = bridgeSettings('cloud', mosquitto.url, [{ pattern: 'commands/#', direction: 'in', qos: 1 }], { protocolVersion })
    const site = await startBridgedBroker(t, [settings], 'site', { store })
    await untilBridge(site.broker, 'cloud')
    await sleep(200) // the bridge's SUBSCRIBE reaches Mosquitto
    const operator = await mqttClient(t, mosquitto.url, { protocolVersion: 4 })
    await operator.publishAsync('commands/t1', 'on', { qos: 1 })
    const acknowledged = (): boolean => mosquitto.log.includes(`Received PUBACK from ${settings.clientId}`)
    await until('Mosquitto sent the message to the bridge', () => mosquitto.log.includes(`Sending PUBLISH to ${settings.clientId}`))
    await sleep(300)
    assert.equal(acknowledged(), false, 'no PUBACK before the commit')
    store.release()
    await until('the bridge acknowledged the message', acknowledged)
  })
}

/** A memory store whose next commit fails once the test arms it. */
class FailingOnceStore extends MemoryStore {
  armed = false

  override flush(): Promise<void> {
    if (!this.armed) return Promise.resolve()
    this.armed = false
    return Promise.reject(new Error('disk full'))
  }
}

test('a remote message the store fails to keep is not acknowledged: the link is dropped and the remote sends it again', async (t) => {
  const mosquitto = await MosquittoProcess.start(t)
  const store = new FailingOnceStore()
  const { logger, lines } = capturedLog()
  const settings = bridgeSettings('cloud', mosquitto.url, [{ pattern: 'commands/#', direction: 'in', qos: 1 }])
  const site = await startBridgedBroker(t, [settings], 'site', { store, logger })
  await untilBridge(site.broker, 'cloud')
  await sleep(200) // the bridge's SUBSCRIBE reaches Mosquitto
  const device = await mqttClient(t, site.url)
  const inbox = new Inbox(device)
  await device.subscribeAsync('commands/#', { qos: 1 })
  store.armed = true
  const operator = await mqttClient(t, mosquitto.url, { protocolVersion: 4 })
  await operator.publishAsync('commands/t1', 'on', { qos: 1 })
  await until('the link dropped for the store failure', () => lines.some((line) => line.includes('the store failed')))
  await until('Mosquitto sent it again and had the PUBACK', () => mosquitto.log.includes(`Received PUBACK from ${settings.clientId}`), 5000)
  assert.ok(mosquitto.log.includes(`Sending PUBLISH to ${settings.clientId} (d1, q1`), 'resent with DUP')
  // At least once: the first copy had reached the site's subscribers before the commit failed.
  assert.ok((await inbox.take(1)).every((message) => message.payload.toString() === 'on'))
})

test('the remote stopped while a publisher sends QoS 1: every acknowledged message reaches it once it is back, in order', async (t) => {
  const mosquitto = await MosquittoProcess.start(t, ['persistence true', 'autosave_interval 0'], { persistent: true })
  const site = await startBridgedBroker(
    t,
    [bridgeSettings('cloud', mosquitto.url, [{ pattern: 'readings/#', direction: 'out', qos: 1 }])],
    'site'
  )
  await untilBridge(site.broker, 'cloud')
  // A subscriber at the remote with a session Mosquitto keeps across its restart.
  const watcher = await subscribeForLater(t, mosquitto.url, 'readings/#')
  const sensor = await mqttClient(t, site.url)
  let acknowledged = 0
  for (let i = 0; i < 20; i++) {
    if (i === 5) {
      await mosquitto.stop()
      await untilBridge(site.broker, 'cloud', false)
    }
    if (i === 15) await mosquitto.run()
    await sensor.publishAsync(`readings/t${i % 3}`, String(i), { qos: 1 })
    acknowledged++
  }
  const received = watcher.collect()
  await until('every acknowledged message at the remote', () => received.length >= acknowledged, 10_000).catch((error) => {
    throw new Error(`${error.message}: ${received.join(' ')}\n${mosquitto.log}`)
  })
  await sleep(300)
  assert.deepEqual(
    received,
    Array.from({ length: acknowledged }, (_, i) => String(i))
  )
})
