import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import { parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import type { AuthHooks } from '../../../broker/auth/hooks.js'
import { Broker } from '../../../broker/broker.js'
import type { BrokerOptions } from '../../../broker/options.js'
import { MemoryStore } from '../../../broker/store/memory.js'
import { decodeSparkplugPayload, encodeSparkplugPayload } from '../../../common/sparkplug/sparkplug-payload.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

/**
 * The Sparkplug Aware MQTT Server (Sparkplug 3.0 conformance profile): births kept retained under
 * `$sparkplug/certificates/`, replaced by the next birth and kept across a restart; NDEATH timestamps stamped
 * when the setting asks; `sparkplug: false` turns it off; the ACL applies to Sparkplug topics as to any other.
 */

async function start(
  t: TestContext,
  options: Partial<BrokerOptions> = {},
  store = new MemoryStore()
): Promise<{ broker: Broker; url: string }> {
  const broker = new Broker({ sysInterval: 0, ...options }, { store })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { broker, url: `mqtt://127.0.0.1:${port}` }
}

function birth(seq: number, bdSeq: number): Buffer {
  return encodeSparkplugPayload({
    timestamp: 1_700_000_000_000,
    seq,
    metrics: [
      { name: 'bdSeq', datatype: 'Int64', value: bdSeq },
      { name: 'Node Control/Rebirth', datatype: 'Boolean', value: false }
    ]
  })
}

const NBIRTH = 'spBv1.0/plant/NBIRTH/gateway-1'
const DBIRTH = 'spBv1.0/plant/DBIRTH/gateway-1/room-1'
const NBIRTH_CERTIFICATE = '$sparkplug/certificates/spBv1.0/plant/NBIRTH/gateway-1'
const DBIRTH_CERTIFICATE = '$sparkplug/certificates/spBv1.0/plant/DBIRTH/gateway-1/room-1'

/** A late subscriber's retained messages under `$sparkplug/certificates/#`, by topic. */
async function certificates(t: TestContext, url: string, count: number): Promise<Map<string, { payload: Buffer; retain: boolean }>> {
  const late = await mqttClient(t, url)
  const inbox = new Inbox(late)
  await late.subscribeAsync('$sparkplug/certificates/#', { qos: 1 })
  const received = count === 0 ? [] : await inbox.take(count)
  await inbox.none(150)
  return new Map(received.map(({ topic, payload, packet }) => [topic, { payload, retain: packet.retain }]))
}

describe('Sparkplug Aware MQTT Server', { concurrency: true }, () => {
  test('tck-id-conformance-mqtt-aware-store, tck-id-conformance-mqtt-aware-nbirth-mqtt-topic, tck-id-conformance-mqtt-aware-nbirth-mqtt-retain, tck-id-conformance-mqtt-aware-dbirth-mqtt-topic, tck-id-conformance-mqtt-aware-dbirth-mqtt-retain: births published QoS 0 unretained are kept retained under $sparkplug/certificates/', async (t) => {
    const { url } = await start(t)
    const edge = await mqttClient(t, url, { clean: true })
    await edge.publishAsync(NBIRTH, birth(0, 3), { qos: 0, retain: false })
    await edge.publishAsync(DBIRTH, birth(1, 3), { qos: 0, retain: false })
    await edge.publishAsync('spBv1.0/plant/DDATA/gateway-1/room-1', birth(2, 3), { qos: 0 })
    await sleep(50)
    const kept = await certificates(t, url, 2)
    assert.deepEqual([...kept.keys()].sort(), [DBIRTH_CERTIFICATE, NBIRTH_CERTIFICATE])
    assert.deepEqual(kept.get(NBIRTH_CERTIFICATE), { payload: birth(0, 3), retain: true })
    assert.deepEqual(kept.get(DBIRTH_CERTIFICATE), { payload: birth(1, 3), retain: true })
  })

  test('certificates are replaced by the next birth (a rebirth) and live subscribers get each one', async (t) => {
    const { url } = await start(t)
    const watcher = await mqttClient(t, url)
    const live = new Inbox(watcher)
    await watcher.subscribeAsync('$sparkplug/certificates/#')
    const edge = await mqttClient(t, url)
    await edge.publishAsync(NBIRTH, birth(0, 1))
    await edge.publishAsync(NBIRTH, birth(0, 2))
    assert.deepEqual(
      (await live.take(2)).map(({ payload }) => decodeSparkplugPayload(payload).metrics[0]?.value),
      [1, 2]
    )
    const kept = await certificates(t, url, 1)
    assert.deepEqual(kept.get(NBIRTH_CERTIFICATE)?.payload, birth(0, 2))
  })

  test('certificates are durable like any retained message: a broker restarted on its store still has them', async (t) => {
    const store = new MemoryStore()
    const first = new Broker({ sysInterval: 0 }, { store })
    const { port } = await first.listen({ host: '127.0.0.1', port: 0 })
    const edge = await mqttClient(t, `mqtt://127.0.0.1:${port}`)
    await edge.publishAsync(DBIRTH, birth(1, 5), { qos: 1 })
    await first.close()
    const second = await start(t, {}, store)
    const kept = await certificates(t, second.url, 1)
    assert.deepEqual(kept.get(DBIRTH_CERTIFICATE), { payload: birth(1, 5), retain: true })
  })

  test('sparkplug: false keeps no certificates', async (t) => {
    const { url } = await start(t, { sparkplug: false })
    const edge = await mqttClient(t, url)
    await edge.publishAsync(NBIRTH, birth(0, 0), { qos: 1 })
    assert.equal((await certificates(t, url, 0)).size, 0)
  })

  for (const stamp of [true, false]) {
    test(`tck-id-conformance-mqtt-aware-ndeath-timestamp, tck-id-conformance-mqtt-will-messages: the NDEATH will is delivered on an abnormal disconnect, its timestamp ${stamp ? 'set to the delivery time' : 'as the edge node wrote it (setting off)'}`, async (t) => {
      const { url } = await start(t, { sparkplugNdeathTimestamp: stamp })
      const host = await mqttClient(t, url)
      const inbox = new Inbox(host)
      await host.subscribeAsync('spBv1.0/plant/NDEATH/+', { qos: 1 })
      const written = 1_600_000_000_000
      const death = encodeSparkplugPayload({ timestamp: written, metrics: [{ name: 'bdSeq', datatype: 'Int64', value: 4 }] })
      const edge = await mqttClient(t, url, { will: { topic: 'spBv1.0/plant/NDEATH/gateway-1', payload: death, qos: 1, retain: false } })
      const before = Date.now()
      edge.stream.destroy()
      const [delivered] = await inbox.take(1)
      assert.equal(delivered?.packet.qos, 1)
      const payload = decodeSparkplugPayload(delivered!.payload)
      assert.deepEqual(payload.metrics, [{ name: 'bdSeq', datatype: 'Int64', value: 4 }])
      if (stamp) assert.ok(payload.timestamp! >= before && payload.timestamp! <= Date.now(), `stamped ${payload.timestamp}`)
      else assert.equal(payload.timestamp, written)
    })
  }
})

describe('ACLs on Sparkplug topics', () => {
  const ACL = `
user gateway-1
topic write spBv1.0/plant/+/gateway-1
topic write spBv1.0/plant/+/gateway-1/#
topic read spBv1.0/plant/NCMD/gateway-1
topic read spBv1.0/plant/DCMD/gateway-1/#

user host
topic readwrite spBv1.0/#
topic read $sparkplug/certificates/#
`
  const acceptAnyone: AuthHooks['authenticate'] = () => 0

  test('the same ACL applies to spBv1.0/#: an edge node publishes only as itself, and only granted users read certificates', async (t) => {
    const broker = new Broker({ sysInterval: 0 }, { auth: new AclAuthorizer(parseAcl(ACL, 'test.acl'), acceptAnyone) })
    const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
    t.after(() => broker.close())
    const url = `mqtt://127.0.0.1:${port}`
    const host = await mqttClient(t, url, { username: 'host' })
    const hostInbox = new Inbox(host)
    await host.subscribeAsync(['spBv1.0/#', '$sparkplug/certificates/#'], { qos: 1 })
    const edge = await mqttClient(t, url, { username: 'gateway-1' })
    await edge.publishAsync('spBv1.0/plant/NBIRTH/gateway-2', birth(0, 0), { qos: 1 }).catch(() => {})
    await edge.publishAsync(NBIRTH, birth(0, 1), { qos: 1 })
    const received = await hostInbox.take(2)
    assert.deepEqual(received.map(({ topic }) => topic).sort(), [NBIRTH_CERTIFICATE, NBIRTH])
    await hostInbox.none(150)
    const stranger = await mqttClient(t, url, { username: 'stranger' })
    const strangerInbox = new Inbox(stranger)
    await stranger.subscribeAsync('$sparkplug/certificates/#').catch(() => {})
    await strangerInbox.none(150)
    const edgeInbox = new Inbox(edge)
    await edge.subscribeAsync('$sparkplug/certificates/#').catch(() => {})
    await edgeInbox.none(150)
  })
})
