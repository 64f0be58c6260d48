import assert from 'node:assert/strict'
import { test } from 'node:test'
import mqtt from 'mqtt'
import { encodeAck } from '../../common/contract/ack.js'
import type { CommandRecord } from '../../service/api/api-types.js'
import type { CommandTracker } from '../../service/commands/command-tracker.js'
import type { Presence } from '../../service/ingest/service-link.js'
import { PeerSessions } from '../../service/peers/peer-sessions.js'
import {
  commandChangeTopic,
  decodeCommandChange,
  decodeSharedReading,
  encodePeerMessage,
  encodeSharedReading,
  lastReadingTopic
} from '../../service/peers/peer-topics.js'
import type { RunningService } from '../../service/service.js'
import { waitFor, watch } from '../devices/helpers/device-fixture.js'
import { startBroker } from '../helpers/broker.js'
import { sleep } from '../helpers/silence.js'
import { RawDevice, startPeer } from './core/service-fixture.js'

/** The announcements of 'service-a', an instance on another machine that no test process runs. */
function ghostPresence(): Presence {
  return PeerSessions.presenceOf({
    clientId: 'service-a',
    mode: 'active-active',
    host: 'elsewhere',
    dataDir: '/x',
    pid: 1,
    since: Date.now()
  })
}

test('active-active: readings split between two instances, yet each knows every device and its newest reading; one started later knows them at once', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const a = await startPeer(t, running.url, 'service-a')
  const b = await startPeer(t, running.url, 'service-b')
  const devices = await Promise.all(['hall', 'loft', 'cellar'].map((name) => RawDevice.connect(t, running.url, 'home', name)))
  const T0 = Date.now() - 60_000
  for (let i = 0; i < 10; i++) {
    await Promise.all(devices.map((device) => device.reading({ time: T0 + i, temperature: 20 + i })))
  }
  const newestEverywhere = (service: RunningService): boolean =>
    devices.every((device) => service.devices.get(device.id)?.lastReading?.time === T0 + 9)
  await waitFor(() => newestEverywhere(a) && newestEverywhere(b), 'the newest reading of every device in both')

  const c = await startPeer(t, running.url, 'service-c')
  await waitFor(() => newestEverywhere(c), 'the retained last readings in c, without any new reading')
  assert.ok(
    c.devices.list().every((device) => device.lastSeen === undefined),
    'a replayed last reading says nothing about the device being there now'
  )
})

test('active-active: a batch stored once a newer reading of its device is known does not put the older one over the retained last reading', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const a = await startPeer(t, running.url, 'service-a', { delayMs: 300 })
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  const { client, inbox } = await watch(t, running.url, [lastReadingTopic('home/hall')])
  const T0 = Date.now() - 60_000
  await device.reading({ time: T0, temperature: 20 })
  await waitFor(() => a.devices.get('home/hall')?.lastReading?.time === T0, 'the reading ingested, its batch on its way to the history')
  // Another instance stored a newer one meanwhile, and shared it.
  const newer = { ...a.devices.get('home/hall')!.lastReading!, time: T0 + 1 }
  await client.publishAsync(lastReadingTopic('home/hall'), encodeSharedReading({ reading: newer, replay: false }), { qos: 0, retain: true })
  await waitFor(() => a.devices.get('home/hall')?.lastReading?.time === T0 + 1, 'the newer reading known to a')
  await sleep(600)
  assert.deepEqual(
    inbox.all.map(({ payload }) => decodeSharedReading(payload)?.reading.time),
    [T0 + 1],
    'the older reading not published once stored'
  )
})

test('active-active: a last reading published again to put the retained one right is a replay, which says nothing about the device being there now', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const a = await startPeer(t, running.url, 'service-a')
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  const { client, inbox } = await watch(t, running.url, [lastReadingTopic('home/hall')])
  const T0 = Date.now() - 60_000
  await device.reading({ time: T0 + 1, temperature: 21 })
  await waitFor(() => inbox.all.length === 1, 'the reading shared by a')
  const c = await startPeer(t, running.url, 'service-c')
  await waitFor(() => c.devices.get('home/hall')?.lastReading?.time === T0 + 1, 'the retained last reading in c')

  // An instance that knew only an older reading republished it over the newer one: a puts it right.
  const older = { ...c.devices.get('home/hall')!.lastReading!, time: T0 }
  await client.publishAsync(lastReadingTopic('home/hall'), encodeSharedReading({ reading: older, replay: true }), { qos: 0, retain: true })
  // a and c know better, and each says so.
  await waitFor(() => inbox.all.length === 4, 'the older one, and the newer one again from a and c')
  for (const { payload } of inbox.all.slice(2))
    assert.deepEqual(JSON.parse(payload.toString()), { ...a.devices.get('home/hall')!.lastReading!, replay: true })
  await sleep(100)
  assert.equal(c.devices.get('home/hall')?.lastSeen, undefined, 'c heard nothing of the device itself')
  assert.equal(c.devices.get('home/hall')?.lastReading?.time, T0 + 1)
})

test('active-active: an ack received by one instance completes the command another sent; a stale change is answered with the newer one', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const a = await startPeer(t, running.url, 'service-a')
  const b = await startPeer(t, running.url, 'service-b')
  const device = await RawDevice.connect(t, running.url, 'home', 'hall')
  await device.reading({ temperature: 20 })
  await waitFor(() => b.devices.get('home/hall')?.state === 'online', 'the device online in b')

  const sent = await b.commands.setpoint('home/hall', 21)
  await waitFor(() => a.commands.history('home/hall')[0]?.state === 'sent', 'the command known to a')
  // Only a hears this ack, as if b had missed it.
  ;(a.commands as CommandTracker).handleAck(
    'thermopost/home/hall/ack',
    encodeAck({ id: sent.id, command: 'setpoint', ok: true, value: 21 })
  )
  await waitFor(() => b.commands.history('home/hall')[0]?.state === 'acked', 'the ack recorded by b')
  assert.equal(b.commands.history('home/hall')[0]?.appliedValue, 21)
  assert.equal(b.devices.get('home/hall')?.desiredSetpoint, 21)

  const { client, inbox } = await watch(t, running.url, [commandChangeTopic(sent)])
  const timedOut: CommandRecord = { ...sent, state: 'timed-out', updatedAt: Date.now(), reason: 'late' }
  await client.publishAsync(commandChangeTopic(sent), encodePeerMessage(timedOut), { qos: 1, retain: true })
  await waitFor(
    () => inbox.all.some(({ payload, packet }) => decodeCommandChange(payload)?.state === 'acked' && !packet.retain),
    'the acked record published again'
  )
  for (const service of [a, b]) assert.equal(service.commands.history('home/hall')[0]?.state, 'acked')
})

test('active-active: a dead instance is adopted by the survivor with the smallest client id, and let go once an operator clears its announcement', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const b = await startPeer(t, running.url, 'service-b')
  const c = await startPeer(t, running.url, 'service-c')
  // An instance that dies without a DISCONNECT: its will (after the 1 s Will Delay) says it is gone.
  const ghost = ghostPresence()
  const a = mqtt.connect(running.url, {
    protocolVersion: 5,
    clientId: 'service-a',
    clean: false,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 3600 },
    will: { topic: ghost.topic, payload: ghost.gone, qos: 1, retain: true, properties: { willDelayInterval: 1 } }
  })
  await new Promise((resolve) => a.once('connect', resolve))
  await a.publishAsync(ghost.topic, ghost.online, { qos: 1, retain: true })
  const stateOfA = (service: RunningService) => service.peers?.().find((peer) => peer.clientId === 'service-a')
  await waitFor(() => stateOfA(b)?.state === 'active' && stateOfA(c)?.state === 'active', 'a announced to both')
  a.stream.destroy()

  await waitFor(() => stateOfA(b)?.adoptedBy === 'service-b' && stateOfA(c)?.adoptedBy === 'service-b', 'a adopted by b, as c sees too')
  const operator = await mqtt.connectAsync(running.url, { protocolVersion: 5 })
  t.after(() => operator.endAsync(true))
  await operator.publishAsync(ghost.topic, Buffer.alloc(0), { qos: 1, retain: true })
  await waitFor(() => stateOfA(b) === undefined && stateOfA(c) === undefined, 'a forgotten by both')
  // Let go for good: its session is not taken again.
  await sleep(300)
  assert.equal(stateOfA(b), undefined)
})

test('active-active: a dead instance whose session is gone from the broker is retired, not held', async (t) => {
  const running = await startBroker()
  t.after(() => running.close())
  const b = await startPeer(t, running.url, 'service-b')
  const ghost = ghostPresence()
  const { client } = await watch(t, running.url, [ghost.topic])
  const states: string[] = []
  client.on('message', (_topic, payload) => states.push(payload.length === 0 ? 'cleared' : JSON.parse(payload.toString()).state))
  await client.publishAsync(ghost.topic, ghost.gone, { qos: 1, retain: true })
  await waitFor(() => states.at(-1) === 'cleared', 'the announcement cleared')
  assert.deepEqual(states, ['gone', 'adopted', 'cleared'])
  assert.deepEqual(b.peers?.(), [])
})
