import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { startBroker } from '../helpers/broker.js'
import { Inbox } from '../helpers/mqtt-inbox.js'
import { endQuietly, mqttClient } from '../helpers/session-clients.js'
import { leadingNumber, SysWatch } from '../helpers/sys-watch.js'

/**
 * $SYS topics under Mosquitto's names, refreshed every `sysInterval`, and hidden from `#` and `+`
 * subscriptions [MQTT-4.7.2-1].
 */

const sysTopics = [
  '$SYS/broker/version',
  '$SYS/broker/uptime',
  '$SYS/broker/clients/connected',
  '$SYS/broker/clients/total',
  '$SYS/broker/messages/received',
  '$SYS/broker/messages/sent',
  '$SYS/broker/bytes/received',
  '$SYS/broker/bytes/sent',
  '$SYS/broker/subscriptions/count',
  '$SYS/broker/retained messages/count'
]

describe('$SYS topics', { concurrency: true }, () => {
  test("$SYS/# yields Mosquitto's broker topics with plausible values", async (t) => {
    const broker = await startBroker({ sysInterval: 1 })
    t.after(() => broker.close())
    const watcher = await mqttClient(t, broker.url)
    const sys = new SysWatch(watcher)
    await watcher.subscribeAsync('$SYS/#', { qos: 0 })
    await sys.all(sysTopics)

    assert.ok(sys.latest.get('$SYS/broker/version')!.length > 0, 'version is not empty')
    for (const topic of sysTopics.filter((name) => name !== '$SYS/broker/version')) sys.number(topic)
    const count = (accept: (n: number) => boolean) => (value: string) => accept(leadingNumber(value))
    await sys.eventually(
      '$SYS/broker/clients/connected',
      count((n) => n === 1)
    )
    await sys.eventually(
      '$SYS/broker/clients/total',
      count((n) => n >= 1)
    )
    await sys.eventually(
      '$SYS/broker/subscriptions/count',
      count((n) => n >= 1)
    )
    await sys.eventually(
      '$SYS/broker/bytes/received',
      count((n) => n > 0)
    )
    await sys.eventually(
      '$SYS/broker/messages/sent',
      count((n) => n > 0)
    )

    const uptime = sys.number('$SYS/broker/uptime')
    await sys.eventually('$SYS/broker/uptime', (value) => leadingNumber(value) > uptime)
  })

  test('$SYS counters follow clients, subscriptions, messages and retained messages', async (t) => {
    const broker = await startBroker({ sysInterval: 1 })
    t.after(() => broker.close())
    const watcher = await mqttClient(t, broker.url)
    const sys = new SysWatch(watcher)
    await watcher.subscribeAsync('$SYS/#', { qos: 0 })
    await sys.all(sysTopics)
    await sys.eventually('$SYS/broker/clients/connected', (value) => leadingNumber(value) === 1)
    await sys.eventually('$SYS/broker/subscriptions/count', (value) => leadingNumber(value) === 1)

    const before = {
      received: sys.number('$SYS/broker/messages/received'),
      bytesReceived: sys.number('$SYS/broker/bytes/received'),
      retained: sys.number('$SYS/broker/retained messages/count')
    }

    const other = await mqttClient(t, broker.url, { protocolVersion: 4 })
    await other.subscribeAsync(['load/a', 'load/b'], { qos: 1 })
    const payload = Buffer.alloc(500, 0x61)
    for (let i = 0; i < 5; i += 1) await other.publishAsync('load/a', payload, { qos: 1 })
    for (const topic of ['kept/1', 'kept/2', 'kept/3']) await other.publishAsync(topic, 'r', { qos: 1, retain: true })

    await sys.eventually('$SYS/broker/clients/connected', (value) => leadingNumber(value) === 2)
    await sys.eventually('$SYS/broker/subscriptions/count', (value) => leadingNumber(value) === 3)
    await sys.eventually('$SYS/broker/messages/received', (value) => leadingNumber(value) >= before.received + 8)
    await sys.eventually('$SYS/broker/bytes/received', (value) => leadingNumber(value) >= before.bytesReceived + 5 * 500)
    await sys.eventually('$SYS/broker/retained messages/count', (value) => leadingNumber(value) >= before.retained + 3)
    const sent = sys.number('$SYS/broker/messages/sent')
    const bytesSent = sys.number('$SYS/broker/bytes/sent')
    await sys.eventually('$SYS/broker/messages/sent', (value) => leadingNumber(value) > sent)
    await sys.eventually('$SYS/broker/bytes/sent', (value) => leadingNumber(value) > bytesSent)
    await sys.eventually('$SYS/broker/clients/total', (value) => leadingNumber(value) >= 2)

    await endQuietly(other)
    await sys.eventually('$SYS/broker/clients/connected', (value) => leadingNumber(value) === 1)
    await sys.eventually('$SYS/broker/subscriptions/count', (value) => leadingNumber(value) === 1)
  })

  test('# and +/... subscriptions do not receive $SYS topics [MQTT-4.7.2-1]', async (t) => {
    const broker = await startBroker({ sysInterval: 1 })
    t.after(() => broker.close())
    const sysWatcher = await mqttClient(t, broker.url)
    const sys = new SysWatch(sysWatcher)
    await sysWatcher.subscribeAsync('$SYS/#', { qos: 0 })

    const everything = await mqttClient(t, broker.url)
    const inbox = new Inbox(everything)
    await everything.subscribeAsync(['#', '+/broker/uptime', '+/#'], { qos: 0 })
    await everything.publishAsync('plain/topic', 'visible', { qos: 1 })
    await sys.all(['$SYS/broker/uptime'])
    const uptime = sys.number('$SYS/broker/uptime')

    // Two refreshes reach the $SYS subscriber while the wildcard subscriber watches.
    await sys.eventually('$SYS/broker/uptime', (value) => leadingNumber(value) > uptime)
    const after = sys.number('$SYS/broker/uptime')
    await sys.eventually('$SYS/broker/uptime', (value) => leadingNumber(value) > after)

    const topics = new Set(inbox.all.map((m) => m.topic))
    assert.deepEqual([...topics], ['plain/topic'])
  })
})
