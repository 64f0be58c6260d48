import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { IPublishPacket } from 'mqtt-packet'
import { startBroker } from '../helpers/broker.js'
import { endQuietly, mqttClient, rawSession, uniqueId } from '../helpers/session-clients.js'
import { leadingNumber, SysWatch } from '../helpers/sys-watch.js'

/**
 * Every topic of the BROKER STATUS section of Mosquitto 2.0.11's mosquitto(8) manual page (Debian 12's), as it
 * names them; `+` is each of 1min, 5min and 15min. Left out: `$SYS/broker/connection/#`, which is about bridges.
 * The deprecated names the manual gives beside the new ones are published too, as Mosquitto 2.0 does.
 */
const MANUAL_TOPICS = [
  'bytes/received',
  'bytes/sent',
  'clients/connected',
  'clients/active',
  'clients/expired',
  'clients/disconnected',
  'clients/inactive',
  'clients/maximum',
  'clients/total',
  'heap/current size',
  'heap/maximum size',
  'load/connections/+',
  'load/bytes/received/+',
  'load/bytes/sent/+',
  'load/messages/received/+',
  'load/messages/sent/+',
  'load/publish/dropped/+',
  'load/publish/received/+',
  'load/publish/sent/+',
  'load/sockets/+',
  'messages/inflight',
  'messages/received',
  'messages/sent',
  'publish/messages/dropped',
  'publish/messages/received',
  'publish/messages/sent',
  'retained messages/count',
  'store/messages/count',
  'messages/stored',
  'store/messages/bytes',
  'subscriptions/count',
  'version'
]

/** What Mosquitto 2.0.11 publishes beyond its manual (read from a running one with `mosquitto_sub -t '$SYS/#'`). */
const PUBLISHED_BEYOND_MANUAL = [
  'uptime',
  'heap/current',
  'heap/maximum',
  'publish/bytes/received',
  'publish/bytes/sent',
  'shared_subscriptions/count'
]

const ALL_TOPICS = [...MANUAL_TOPICS, ...PUBLISHED_BEYOND_MANUAL].flatMap((name) =>
  name.endsWith('/+') ? ['1min', '5min', '15min'].map((window) => `$SYS/broker/${name.slice(0, -1)}${window}`) : [`$SYS/broker/${name}`]
)

test("$SYS carries every topic of Mosquitto 2.0's manual, in Mosquitto's formats", async (t) => {
  const broker = await startBroker({ sysInterval: 1 })
  t.after(() => broker.close())
  const watcher = await mqttClient(t, broker.url)
  const sys = new SysWatch(watcher)
  await watcher.subscribeAsync('$SYS/#', { qos: 0 })
  await sys.all(ALL_TOPICS)
  for (const topic of ALL_TOPICS) {
    const value = sys.latest.get(topic)!
    if (topic.includes('/load/')) assert.match(value, /^\d+\.\d\d$/, `${topic}: a rate with two decimals, as Mosquitto's %.2f`)
    else if (topic.endsWith('/version')) assert.match(value, /^thermopost \S+$/)
    else leadingNumber(value)
  }
})

test('$SYS figures mean what they mean in Mosquitto: clients, inflight, store, packets against PUBLISHes, load', async (t) => {
  const broker = await startBroker({ sysInterval: 1, maxInflight: 1 })
  t.after(() => broker.close())
  const watcher = await mqttClient(t, broker.url)
  const sys = new SysWatch(watcher)
  await watcher.subscribeAsync('$SYS/#', { qos: 0 })
  await sys.all(ALL_TOPICS)

  // A persistent session that goes offline with messages waiting: one in its in-flight window, two queued.
  const clientId = uniqueId('offline')
  const persistent = await mqttClient(t, broker.url, { clientId, clean: false, protocolVersion: 4 })
  await persistent.subscribeAsync('queued/#', { qos: 1 })
  await endQuietly(persistent)
  const publisher = await mqttClient(t, broker.url)
  for (let i = 0; i < 3; i++) await publisher.publishAsync('queued/x', Buffer.alloc(10, 0x61), { qos: 1 })
  // Two clients connected (watcher, publisher), and the offline session: 3 in total, 1 disconnected.
  await sys.eventually('$SYS/broker/clients/connected', (value) => value === '2')
  await sys.eventually('$SYS/broker/clients/disconnected', (value) => value === '1')
  await sys.eventually('$SYS/broker/clients/inactive', (value) => value === '1')
  await sys.eventually('$SYS/broker/clients/total', (value) => value === '3')
  await sys.eventually('$SYS/broker/clients/maximum', (value) => Number(value) >= 2)
  const retained = () => sys.number('$SYS/broker/retained messages/count')
  // Offline, all three wait in the queue: the store holds them beside the retained ($SYS) messages.
  await sys.eventually('$SYS/broker/store/messages/count', (value) => Number(value) === retained() + 3)
  await sys.eventually('$SYS/broker/store/messages/bytes', (value) => Number(value) >= 30)

  const received = sys.number('$SYS/broker/publish/messages/received')
  assert.ok(received >= 3)
  // messages/* counts packets of every type (CONNECT, SUBSCRIBE, PUBACK...), publish/messages/* only PUBLISH.
  assert.ok(sys.number('$SYS/broker/messages/received') > received)
  await sys.eventually('$SYS/broker/load/publish/received/1min', (value) => Number(value) > 0)
  await sys.eventually('$SYS/broker/load/connections/1min', (value) => Number(value) > 0)
  await sys.eventually('$SYS/broker/load/sockets/1min', (value) => Number(value) > 0)

  // Back online with a window of one: one message in flight, to a raw client that never acknowledges it.
  const { client: resumed } = await rawSession(t, broker.port, 4, { clientId, clean: false })
  assert.equal(((await resumed.next()) as IPublishPacket).topic, 'queued/x')
  await sys.eventually('$SYS/broker/messages/inflight', (value) => value === '1')
})

test('$SYS/broker/clients/expired counts offline sessions whose expiry ran out', async (t) => {
  const broker = await startBroker({ sysInterval: 1 })
  t.after(() => broker.close())
  const watcher = await mqttClient(t, broker.url)
  const sys = new SysWatch(watcher)
  await watcher.subscribeAsync('$SYS/#', { qos: 0 })
  await sys.eventually('$SYS/broker/clients/expired', (value) => value === '0')
  const brief = await mqttClient(t, broker.url, { clientId: uniqueId('brief'), properties: { sessionExpiryInterval: 1 } })
  await endQuietly(brief)
  await sys.eventually('$SYS/broker/clients/disconnected', (value) => value === '1')
  await sys.eventually('$SYS/broker/clients/expired', (value) => value === '1', 5000)
  await sys.eventually('$SYS/broker/clients/disconnected', (value) => value === '0')
})
