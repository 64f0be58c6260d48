import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Series } from '../../../service/history/history-store.js'
import type { Reading } from '../../../service/reading.js'
import { T0 } from './api-fakes.js'
import { type ApiServer, errorOf, startApi } from './api-server.js'

const READINGS = '/api/devices/home%2Fliving-room/readings'
const HOUR = 3_600_000

function reading(time: number, temperature: number, setpoint?: number): Reading {
  return {
    deviceId: 'home/living-room',
    site: 'home',
    device: 'living-room',
    source: 'thermopost',
    time,
    temperature,
    ...(setpoint === undefined ? {} : { setpoint })
  }
}

/** One reading a minute over the last `hours` before T0, 20 °C rising by 0.01 each. */
async function minutely(api: ApiServer, hours: number): Promise<void> {
  const readings: Reading[] = []
  for (let minute = hours * 60; minute >= 1; minute--) readings.push(reading(T0 - minute * 60_000, 20 + readings.length / 100, 21))
  await api.history.write(readings)
}

async function seriesOf(api: ApiServer, query: string): Promise<Series & { from: number; to: number }> {
  const response = await api.get(`${READINGS}${query}`)
  assert.equal(response.status, 200, await response.clone().text())
  return (await response.json()) as Series & { from: number; to: number }
}

test('readings default to the last 24 h before now at the resolution that fits in 2000 points', async (t) => {
  const api = await startApi(t)
  await minutely(api, 48)
  const series = await seriesOf(api, '')
  assert.deepEqual([series.from, series.to], [T0 - 24 * HOUR, T0])
  assert.equal(series.resolution, 'raw', '1440 raw readings fit')
  assert.equal(series.points.length, 24 * 60)
  assert.deepEqual(series.points[0], { time: T0 - 24 * HOUR, min: 34.4, mean: 34.4, max: 34.4, count: 1, setpoint: 21 })
})

test('from and to take milliseconds or ISO 8601; resolution and maxPoints pick the points', async (t) => {
  const api = await startApi(t)
  await minutely(api, 6)
  const iso = (ms: number): string => new Date(ms).toISOString()
  const hours = await seriesOf(api, `?from=${iso(T0 - 6 * HOUR)}&to=${T0}&resolution=1h`)
  assert.deepEqual([hours.resolution, hours.bucketMs, hours.points.length], ['1h', HOUR, 6])
  assert.equal(hours.points[0]!.count, 60)
  const offset = await seriesOf(api, `?from=${encodeURIComponent('2026-01-05T10:00:00+01:00')}&to=2026-01-05T10:00:00Z&resolution=1m`)
  assert.equal(offset.from, T0 - HOUR)
  assert.equal(offset.points.length, 60)
  const spaced = await seriesOf(api, '?from=2026-01-05T10:00:00 01:00&to=2026-01-06&resolution=raw')
  assert.deepEqual(
    [spaced.from, spaced.to],
    [T0 - HOUR, Date.UTC(2026, 0, 6)],
    "a '+' the query string made a space, and a date alone at UTC midnight"
  )
  assert.equal(spaced.points.length, 60)
  const capped = await seriesOf(api, `?from=${T0 - 6 * HOUR}&to=${T0}&maxPoints=100`)
  assert.equal(capped.resolution, '1h', '360 minutes do not fit in 100 points')
  const raw = await seriesOf(api, `?from=${T0 - 6 * HOUR}&to=${T0}&resolution=raw`)
  assert.equal(raw.points.length, 360)
})

test('a device without history has an empty series; an unknown device is 404', async (t) => {
  const api = await startApi(t)
  const empty = await api.get('/api/devices/lab%2Ffreezer/readings')
  assert.deepEqual(((await empty.json()) as Series).points, [])
  const unknown = await errorOf(await api.get('/api/devices/lab%2Foven/readings'))
  assert.deepEqual([unknown.status, unknown.code], [404, 'unknown-device'])
})

test('bad from, to, resolution and maxPoints are 400 naming the field', async (t) => {
  const api = await startApi(t)
  const cases: Array<[string, string, RegExp]> = [
    ['?from=yesterday', 'from', /ISO 8601/],
    ['?to=2026-02-31', 'to', /not '2026-02-31'/],
    ['?from=2026-01-05T10:00:00', 'from', /with its zone/],
    [`?from=${T0}&to=${T0 - 1}`, 'from', /must be before to/],
    [`?from=${T0}&to=${T0}`, 'from', /must be before to/],
    ['?resolution=5m', 'resolution', /one of raw, 1m, 1h, auto/],
    ['?maxPoints=0', 'maxPoints', /from 1 to 20000/],
    ['?maxPoints=20001', 'maxPoints', /from 1 to 20000/],
    ['?maxPoints=12.5', 'maxPoints', /whole number/],
    ['?resolution=raw&maxPoints=100', 'maxPoints', /resolution=auto only/],
    ['?from=1&from=2', 'from', /more than once/],
    ['?resoluton=raw', 'resoluton', /unknown field/]
  ]
  for (const [query, field, message] of cases) {
    const error = await errorOf(await api.get(`${READINGS}${query}`))
    assert.deepEqual([error.status, error.code, error.field], [400, 'invalid-field', field], query)
    assert.match(error.message, message, query)
  }
})

test('readings.csv downloads the range as an attachment, raw unless asked otherwise', async (t) => {
  const api = await startApi(t)
  await api.history.write([reading(T0 - 2000, 20.5, 21), reading(T0 - 1000, 20.75)])
  const response = await api.get(`/api/devices/home%2Fliving-room/readings.csv?from=${T0 - HOUR}&to=${T0}`)
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'text/csv; charset=utf-8')
  assert.equal(response.headers.get('content-disposition'), 'attachment; filename="home_living-room-raw-2026-01-05.csv"')
  assert.equal(
    await response.text(),
    [
      'time,device_id,temperature,setpoint,heating,humidity',
      '2026-01-05T09:59:58.000Z,home/living-room,20.5,21,,',
      '2026-01-05T09:59:59.000Z,home/living-room,20.75,,,',
      ''
    ].join('\n')
  )
  const minutes = await api.get(`/api/devices/home%2Fliving-room/readings.csv?from=${T0 - HOUR}&to=${T0}&resolution=1m`)
  assert.equal((await minutes.text()).split('\n')[1], '2026-01-05T09:59:00.000Z,home/living-room,20.5,20.625,20.75,2,21')
  const auto = await errorOf(await api.get('/api/devices/home%2Fliving-room/readings.csv?resolution=auto'))
  assert.deepEqual([auto.status, auto.field], [400, 'resolution'])
  assert.equal((await api.get('/api/devices/home%2Fattic/readings.csv')).status, 404)
})

test('means and setpoints are sent to a thousandth of a degree; min and max as measured', async (t) => {
  const api = await startApi(t)
  await api.history.write([reading(T0 - 50_000, 20.1, 21), reading(T0 - 40_000, 20.2, 21.5), reading(T0 - 30_000, 20.4, 21.5)])
  const [point] = (await seriesOf(api, `?from=${T0 - 60_000}&to=${T0}&resolution=1m`)).points
  assert.deepEqual(point, { time: T0 - 60_000, min: 20.1, mean: 20.233, max: 20.4, count: 3, setpoint: 21.333 })
})

test("/api/readings gives several devices' series in one answer, in the order asked; unknown devices 404, none 400", async (t) => {
  const api = await startApi(t)
  const ids = api.devices
    .list()
    .map((device) => device.id)
    .slice(0, 2)
  assert.equal(ids.length, 2, 'the fake directory has two devices')
  await api.history.write([
    { ...reading(T0 - 120_000, 19), deviceId: ids[0]!, site: ids[0]!.split('/')[0]!, device: ids[0]!.split('/')[1]! },
    { ...reading(T0 - 60_000, 23), deviceId: ids[1]!, site: ids[1]!.split('/')[0]!, device: ids[1]!.split('/')[1]! }
  ])
  const query = `from=${T0 - HOUR}&to=${T0}&resolution=raw`
  const response = await api.get(`/api/readings?device=${encodeURIComponent(ids[1]!)}&device=${encodeURIComponent(ids[0]!)}&${query}`)
  assert.equal(response.status, 200)
  const body = (await response.json()) as { series: Series[]; from: number; to: number }
  assert.deepEqual(
    body.series.map((series) => [series.deviceId, series.points.map((point) => point.mean)]),
    [
      [ids[1], [23]],
      [ids[0], [19]]
    ]
  )
  assert.deepEqual([body.from, body.to], [T0 - HOUR, T0])

  const unknown = await api.get(`/api/readings?device=${encodeURIComponent(ids[0]!)}&device=nowhere%2Fnothing&${query}`)
  assert.equal(unknown.status, 404)
  assert.equal((await errorOf(unknown)).code, 'unknown-device')
  const none = await api.get(`/api/readings?${query}`)
  assert.equal(none.status, 400)
  assert.deepEqual(await errorOf(none), {
    status: 400,
    code: 'invalid-field',
    field: 'device',
    message: 'device is required: one device=SITE%2FDEVICE per series'
  })
})
