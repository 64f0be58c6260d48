import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import type { LiveEvent } from '../../../service/api/api-types.js'
import type { Reading } from '../../../service/reading.js'
import { device, T0 } from './api-fakes.js'
import { errorOf, startApi, TOKEN } from './api-server.js'
import { SseClient } from './sse-client.js'

const auth = { authorization: `Bearer ${TOKEN}` }

function reading(deviceId: string, temperature: number): Reading {
  const [site, name] = deviceId.split('/') as [string, string]
  return { deviceId, site, device: name, source: 'thermopost', time: T0, temperature }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 10_000) assert.fail(`not within 10 s: ${what}`)
    await sleep(10)
  }
}

test('every kind of live event arrives in the order it happened, as event name and JSON data', async (t) => {
  const api = await startApi(t)
  const events = await SseClient.open(`${api.url}/api/events`, auth)
  t.after(() => events.close())
  assert.equal(events.response.headers.get('content-type'), 'text/event-stream; charset=utf-8')
  assert.equal(events.response.headers.get('cache-control'), 'no-store')
  const sent: LiveEvent[] = [
    { type: 'reading', reading: reading('home/living-room', 20.5) },
    { type: 'device', device: device('home', 'living-room', { state: 'offline' }) },
    {
      type: 'command',
      command: {
        id: 'c1',
        deviceId: 'home/living-room',
        name: 'setpoint',
        value: 21,
        state: 'acked',
        appliedValue: 21,
        createdAt: T0,
        updatedAt: T0
      }
    },
    {
      type: 'alert',
      alert: {
        id: 'a9',
        ruleId: 'r',
        deviceId: 'lab/freezer',
        severity: 'critical',
        state: 'raised',
        message: 'above -10 °C',
        raisedAt: T0
      }
    },
    { type: 'broker', broker: { clientsConnected: 7 } },
    { type: 'reading', reading: reading('home/living-room', 20.6) }
  ]
  await until(() => api.live.listeners.size === 1, 'subscribed')
  for (const event of sent) api.live.emit(event)
  for (const event of sent) {
    const message = await events.next()
    assert.equal(message.event, event.type)
    assert.deepEqual(JSON.parse(message.data), (event as unknown as Record<string, unknown>)[event.type])
  }
  events.close()
  await until(() => api.live.listeners.size === 0, 'a closed stream unsubscribes')
})

test('device and types filters keep some events; broker events pass any device filter', async (t) => {
  const api = await startApi(t)
  const events = await SseClient.open(`${api.url}/api/events?device=lab%2Ffreezer&types=reading,broker`, auth)
  t.after(() => events.close())
  await until(() => api.live.listeners.size === 1, 'subscribed')
  api.live.emit({ type: 'reading', reading: reading('home/living-room', 20) })
  api.live.emit({ type: 'device', device: device('lab', 'freezer') })
  api.live.emit({ type: 'reading', reading: reading('lab/freezer', -18) })
  api.live.emit({ type: 'broker', broker: { clientsConnected: 2 } })
  assert.deepEqual(JSON.parse((await events.next()).data).temperature, -18)
  assert.equal((await events.next()).event, 'broker')
  const bad = await errorOf(await fetch(`${api.url}/api/events?types=reading,weather`, { headers: auth }))
  assert.deepEqual([bad.status, bad.field], [400, 'types'])
  assert.match(bad.message, /not 'weather'/)
})

test('a quiet stream carries heartbeat comments', async (t) => {
  const api = await startApi(t, { events: { heartbeatMs: 50 } })
  const events = await SseClient.open(`${api.url}/api/events`, auth)
  t.after(() => events.close())
  assert.deepEqual(await events.next({ comments: true }), { event: 'comment', data: 'connected' })
  assert.deepEqual(await events.next({ comments: true }), { event: 'comment', data: 'heartbeat' })
  assert.deepEqual(await events.next({ comments: true }), { event: 'comment', data: 'heartbeat' })
})

test('a client that does not read is dropped once its backlog passes the limit; a reading one keeps going', async (t) => {
  const api = await startApi(t, { events: { maxBufferedBytes: 64 * 1024 } })
  const reader = await SseClient.open(`${api.url}/api/events`, auth)
  t.after(() => reader.close())
  const port = Number(new URL(api.url).port)
  const slow = connect(port, '127.0.0.1')
  t.after(() => slow.destroy())
  slow.pause()
  slow.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`)
  await until(() => api.live.listeners.size === 2, 'both subscribed')
  const padding = 'x'.repeat(4000)
  let sent = 0
  // Bursts well under the limit, yielding between them so the reading client keeps up, until the slow one's
  // kernel socket buffers are full and its backlog grows past the limit.
  while (api.live.listeners.size === 2 && sent < 40_000) {
    for (let i = 0; i < 4; i++)
      api.live.emit({
        type: 'alert',
        alert: { id: `a${sent++}`, ruleId: padding, deviceId: 'home/x', severity: 'info', state: 'raised', message: '', raisedAt: T0 }
      })
    await sleep(1)
  }
  assert.equal(api.live.listeners.size, 1, `the slow client was dropped (after ${sent} events)`)
  assert.ok(
    api.logs.some((line) => line.level === 40 && /live feed client dropped/.test(line.msg)),
    'and it was logged'
  )
  api.live.emit({ type: 'broker', broker: { clientsConnected: 1 } })
  let message = await reader.next()
  while (message.event === 'alert') message = await reader.next()
  assert.equal(message.event, 'broker', 'the reading client got everything up to the last event')
})
