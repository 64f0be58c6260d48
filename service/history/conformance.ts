import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { Reading } from '../reading.js'
import type { HistoryStore, Series, SeriesPoint } from './history-store.js'
import { DEFAULT_RETENTION, RESOLUTION_MS } from './history-store.js'

type TestFn = (name: string, fn: () => Promise<void>) => unknown

export interface HistoryConformanceOptions {
  /** node:test's `test` (or a `describe`-scoped `it`); the suite groups its tests with node:test's `describe`. */
  test: TestFn
  /** A new, empty store with the default retention (DEFAULT_RETENTION). */
  makeStore: () => Promise<HistoryStore>
}

const MINUTE = RESOLUTION_MS['1m']
const HOUR = RESOLUTION_MS['1h']
const DAY = 24 * HOUR
/**
 * Test data lies a few days back: closed intervals that a backend rolling up only closed intervals has rolled
 * up, and inside the default raw retention, which InfluxDB also applies to writes (older points are refused).
 */
const BASE = Math.floor(Date.now() / DAY) * DAY - 5 * DAY

/** What each group of tests gets: the test function and a fresh store per test. */
interface HistoryHarness {
  test: TestFn
  /** Runs `body` on a new store and closes it after. */
  withStore: (body: (store: HistoryStore) => Promise<void>) => Promise<void>
}

/**
 * The behaviour every history backend must show, grouped by topic. Each backend's test file calls this with its
 * own factory and adds its backend-only tests.
 */
export function historyConformance({ test, makeStore }: HistoryConformanceOptions): void {
  async function withStore(body: (store: HistoryStore) => Promise<void>): Promise<void> {
    const store = await makeStore()
    try {
      await body(store)
    } finally {
      await store.close()
    }
  }

  const harness: HistoryHarness = { test, withStore }
  describe('raw readings', () => rawReadingTests(harness))
  describe('rollups', () => rollupTests(harness))
  describe('automatic resolution', () => autoResolutionTests(harness))
  describe('late and repeated readings', () => lateReadingTests(harness))
  describe('retention', () => retentionTests(harness))
  describe('CSV export', () => exportTests(harness))
  describe('devices, bad readings and empty ranges', () => edgeCaseTests(harness))
}

/** Readings as they were written. */
function rawReadingTests({ test, withStore }: HistoryHarness): void {
  test('raw readings come back in time order, with a setpoint only where they had one', () =>
    withStore(async (store) => {
      const readings = [reading('a', BASE + 20_000, 20.5), reading('a', BASE, 19.5, 21), reading('a', BASE + 10_000, 20, 21)]
      await store.write(readings)
      const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + MINUTE, resolution: 'raw' })
      assert.equal(series.resolution, 'raw')
      assert.equal(series.bucketMs, 0)
      assert.deepEqual(series.points, [
        { time: BASE, min: 19.5, mean: 19.5, max: 19.5, count: 1, setpoint: 21 },
        { time: BASE + 10_000, min: 20, mean: 20, max: 20, count: 1, setpoint: 21 },
        { time: BASE + 20_000, min: 20.5, mean: 20.5, max: 20.5, count: 1 }
      ])
    }))

  test('a query range is [from, to)', () =>
    withStore(async (store) => {
      await store.write([reading('a', BASE, 20), reading('a', BASE + 1000, 21), reading('a', BASE + 2000, 22)])
      const series = await store.query({ deviceId: 'home/a', from: BASE + 1000, to: BASE + 2000, resolution: 'raw' })
      assert.deepEqual(
        series.points.map((point) => point.time),
        [BASE + 1000]
      )
    }))
}

/** Readings summed per minute and per hour. */
function rollupTests({ test, withStore }: HistoryHarness): void {
  test('1-minute and 1-hour rollups hold min, mean, max, count and the mean setpoint of each bucket', () =>
    withStore(async (store) => {
      const readings = twoHours('a')
      await store.write(readings)
      for (const resolution of ['1m', '1h'] as const) {
        const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + 2 * HOUR, resolution })
        assert.equal(series.resolution, resolution)
        assert.equal(series.bucketMs, RESOLUTION_MS[resolution])
        assertPoints(series.points, rollUp(readings, RESOLUTION_MS[resolution]))
      }
    }))

  test('a rollup query returns every bucket that overlaps the range', () =>
    withStore(async (store) => {
      await store.write(twoHours('a'))
      const series = await store.query({ deviceId: 'home/a', from: BASE + 90_000, to: BASE + 150_000, resolution: '1m' })
      assert.deepEqual(
        series.points.map((point) => point.time),
        [BASE + MINUTE, BASE + 2 * MINUTE]
      )
    }))
}

/** `resolution: 'auto'`: the finest resolution that fits in `maxPoints`. */
function autoResolutionTests({ test, withStore }: HistoryHarness): void {
  test('auto picks the finest resolution with at most maxPoints points', () =>
    withStore(async (store) => {
      await store.write(twoHours('a')) // 720 readings, 120 minutes, 2 hours
      const pick = async (maxPoints: number): Promise<Series> =>
        await store.query({ deviceId: 'home/a', from: BASE, to: BASE + 2 * HOUR, resolution: 'auto', maxPoints })
      const raw = await pick(720)
      assert.equal(raw.resolution, 'raw')
      assert.equal(raw.points.length, 720)
      const minutes = await pick(719)
      assert.equal(minutes.resolution, '1m')
      assert.equal(minutes.points.length, 120)
      const hours = await pick(100)
      assert.equal(hours.resolution, '1h')
      assert.equal(hours.bucketMs, HOUR)
      assert.equal(hours.points.length, 2)
      const byDefault = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + 2 * HOUR, resolution: 'auto' })
      assert.equal(byDefault.resolution, 'raw', 'maxPoints defaults to 2000')
    }))

  test('auto merges hourly points when even they are too many, keeping the extremes', () =>
    withStore(async (store) => {
      const readings = Array.from({ length: 48 }, (_, hour) => reading('a', BASE + hour * HOUR + 5 * MINUTE, 20, 21))
      readings.push(reading('a', BASE + 13 * HOUR, -5, 19), reading('a', BASE + 30 * HOUR, 40))
      await store.write(readings)
      const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + 2 * DAY, resolution: 'auto', maxPoints: 5 })
      assert.equal(series.resolution, '1h')
      assert.ok(series.points.length <= 5, `${series.points.length} points`)
      assert.equal(series.bucketMs, 10 * HOUR)
      assertPoints(series.points, rollUp(readings, 10 * HOUR))
      assert.equal(Math.min(...series.points.map((point) => point.min)), -5)
      assert.equal(Math.max(...series.points.map((point) => point.max)), 40)
      assert.equal(
        series.points.reduce((sum, point) => sum + point.count, 0),
        50
      )
    }))
}

/** Readings that arrive after their interval was rolled up, or twice. */
function lateReadingTests({ test, withStore }: HistoryHarness): void {
  test('a late reading updates the rollups of its minute and hour', () =>
    withStore(async (store) => {
      const readings = twoHours('a')
      await store.write(readings)
      const late = [reading('a', BASE + 30 * MINUTE + 5000, 35, 25), reading('a', BASE + 30 * MINUTE + 7000, 5)]
      await store.write(late)
      for (const resolution of ['1m', '1h'] as const) {
        const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + 2 * HOUR, resolution })
        assertPoints(series.points, rollUp([...readings, ...late], RESOLUTION_MS[resolution]))
      }
      const [minute] = (await store.query({ deviceId: 'home/a', from: BASE + 30 * MINUTE, to: BASE + 31 * MINUTE, resolution: '1m' }))
        .points
      assert.equal(minute.max, 35)
      assert.equal(minute.min, 5)
      assert.equal(minute.count, 8)
    }))

  test('a reading written twice (a re-sent QoS 1 message) counts once', () =>
    withStore(async (store) => {
      const readings = twoHours('a').slice(0, 60)
      await store.write(readings)
      await store.write(readings.slice(10, 20))
      await store.write([readings[0], readings[0], readings[59]])
      assert.equal((await store.query({ deviceId: 'home/a', from: BASE, to: BASE + HOUR, resolution: 'raw' })).points.length, 60)
      for (const resolution of ['1m', '1h'] as const) {
        const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + HOUR, resolution })
        assertPoints(series.points, rollUp(readings, RESOLUTION_MS[resolution]))
      }
    }))
}

/** How long each resolution is kept. */
function retentionTests({ test, withStore }: HistoryHarness): void {
  test('retention drops raw readings first, 1-minute rollups later, hourly ones never', () =>
    withStore(async (store) => {
      const early = twoHours('a')
      const later = [reading('a', BASE + 3 * HOUR, 22), reading('a', BASE + 3 * HOUR + 10_000, 23)]
      await store.write([...early, ...later])
      const range = { deviceId: 'home/a', from: BASE, to: BASE + 2 * HOUR }
      await store.applyRetention(BASE + DEFAULT_RETENTION.retentionRaw + 3 * HOUR)
      assert.deepEqual((await store.query({ ...range, resolution: 'raw' })).points, [])
      assert.equal((await store.query({ ...range, to: BASE + 4 * HOUR, resolution: 'raw' })).points.length, 2)
      assertPoints((await store.query({ ...range, resolution: '1m' })).points, rollUp(early, MINUTE))
      const auto = await store.query({ ...range, resolution: 'auto' })
      assert.equal(auto.resolution, '1m', 'auto does not pick raw for a range retention has cut')
      await store.applyRetention(BASE + DEFAULT_RETENTION.retention1m + 3 * HOUR)
      assert.deepEqual((await store.query({ ...range, resolution: '1m' })).points, [])
      assertPoints((await store.query({ ...range, resolution: '1h' })).points, rollUp(early, HOUR))
      assert.equal((await store.query({ ...range, resolution: 'auto' })).resolution, '1h')
    }))
}

/** `exportCsv`: a range as CSV lines. */
function exportTests({ test, withStore }: HistoryHarness): void {
  test('CSV export: a header, then one line per reading or bucket of the range', () =>
    withStore(async (store) => {
      await store.write([
        { ...reading('a', BASE, 19.5, 21), heating: true, humidity: 40 },
        reading('a', BASE + 10_000, 20.5),
        reading('a', BASE + MINUTE, 21),
        reading('a', BASE + 2 * MINUTE, 99)
      ])
      assert.deepEqual(await lines(store.exportCsv('home/a', BASE, BASE + 2 * MINUTE, 'raw')), [
        'time,device_id,temperature,setpoint,heating,humidity',
        `${iso(BASE)},home/a,19.5,21,true,40`,
        `${iso(BASE + 10_000)},home/a,20.5,,,`,
        `${iso(BASE + MINUTE)},home/a,21,,,`
      ])
      assert.deepEqual(await lines(store.exportCsv('home/a', BASE, BASE + 2 * MINUTE, '1m')), [
        'time,device_id,min,mean,max,count,setpoint',
        `${iso(BASE)},home/a,19.5,20,20.5,2,21`,
        `${iso(BASE + MINUTE)},home/a,21,21,21,1,`
      ])
    }))

  test('CSV export of a range longer than one page keeps every row once, in order', () =>
    withStore(async (store) => {
      // One a minute for a little over four days: more rows than a page holds, both raw and rolled up by minute.
      const readings = Array.from({ length: 6000 }, (_, i) => reading('a', BASE + i * MINUTE, 20 + (i % 10) / 10))
      await store.write(readings)
      for (const resolution of ['raw', '1m'] as const) {
        const rows = (await lines(store.exportCsv('home/a', BASE, BASE + 5 * DAY, resolution))).slice(1)
        assert.equal(rows.length, readings.length, resolution)
        assert.deepEqual(
          rows.map((row) => Date.parse(row.split(',')[0])),
          readings.map((r) => r.time),
          resolution
        )
      }
    }))
}

/** What a store keeps apart, leaves out, and answers when it has nothing. */
function edgeCaseTests({ test, withStore }: HistoryHarness): void {
  test('each device has its own history', () =>
    withStore(async (store) => {
      const a = twoHours('a')
      const b = twoHours('b').map((r) => ({ ...r, temperature: r.temperature + 10 }))
      await store.write([...a, ...b])
      for (const [deviceId, readings] of [
        ['home/a', a],
        ['home/b', b]
      ] as const) {
        for (const resolution of ['1m', '1h'] as const) {
          const series = await store.query({ deviceId, from: BASE, to: BASE + 2 * HOUR, resolution })
          assert.equal(series.deviceId, deviceId)
          assertPoints(series.points, rollUp(readings, RESOLUTION_MS[resolution]))
        }
      }
      const csv = await lines(store.exportCsv('home/b', BASE, BASE + 2 * HOUR, 'raw'))
      assert.equal(csv.length, b.length + 1)
      assert.ok(csv.slice(1).every((line) => line.includes(',home/b,')))
    }))

  test('a reading no store can hold is left out, and the rest of its batch is stored', () =>
    withStore(async (store) => {
      await store.write([
        reading('a', BASE, Number.NaN),
        reading('a', BASE + 1000, Number.POSITIVE_INFINITY),
        reading('a', Number.NaN, 20),
        { ...reading('a', BASE + 2000.7, 20, Number.NaN), humidity: Number.NaN, heating: true },
        reading('a', BASE + 3000, 21, 22)
      ])
      const series = await store.query({ deviceId: 'home/a', from: BASE, to: BASE + MINUTE, resolution: 'raw' })
      assert.deepEqual(series.points, [
        { time: BASE + 2000, min: 20, mean: 20, max: 20, count: 1 },
        { time: BASE + 3000, min: 21, mean: 21, max: 21, count: 1, setpoint: 22 }
      ])
      const [minute] = (await store.query({ deviceId: 'home/a', from: BASE, to: BASE + MINUTE, resolution: '1m' })).points
      assert.equal(minute.count, 2)
    }))

  test('empty ranges, unknown devices and empty batches give empty series, not errors', () =>
    withStore(async (store) => {
      await store.write([])
      await store.write(twoHours('a'))
      for (const resolution of ['raw', '1m', '1h', 'auto'] as const) {
        for (const query of [
          { deviceId: 'home/nobody', from: BASE, to: BASE + HOUR },
          { deviceId: 'home/a', from: BASE + 3 * HOUR, to: BASE + 4 * HOUR },
          { deviceId: 'home/a', from: BASE + HOUR, to: BASE + HOUR }
        ]) {
          const series = await store.query({ ...query, resolution })
          assert.deepEqual(series.points, [], `${resolution} ${JSON.stringify(query)}`)
          assert.equal(series.deviceId, query.deviceId)
        }
      }
      assert.deepEqual(await lines(store.exportCsv('home/nobody', BASE, BASE + HOUR, 'raw')), [
        'time,device_id,temperature,setpoint,heating,humidity'
      ])
    }))
}

function reading(device: string, time: number, temperature: number, setpoint?: number): Reading {
  const result: Reading = { deviceId: `home/${device}`, site: 'home', device, source: 'thermopost', time, temperature }
  if (setpoint !== undefined) result.setpoint = setpoint
  return result
}

/** A reading every 10 s for two hours; a setpoint in the first hour only, changing every 20 minutes. */
function twoHours(device: string): Reading[] {
  return Array.from({ length: 720 }, (_, i) => {
    const time = BASE + i * 10_000
    const setpoint = time < BASE + HOUR ? 20 + Math.floor(i / 120) : undefined
    return reading(device, time, 18 + ((i * 7) % 23) / 4, setpoint)
  })
}

/** The reference the stores must agree with: readings summed per bucket in the plainest way. */
function rollUp(readings: readonly Reading[], bucketMs: number): SeriesPoint[] {
  const buckets = new Map<number, Reading[]>()
  for (const r of readings) {
    const start = Math.floor((r.time - BASE) / bucketMs) * bucketMs + BASE
    buckets.set(start, [...(buckets.get(start) ?? []), r])
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, inBucket]) => {
      const temperatures = inBucket.map((r) => r.temperature)
      const setpoints = inBucket.flatMap((r) => (r.setpoint === undefined ? [] : [r.setpoint]))
      const point: SeriesPoint = {
        time,
        min: Math.min(...temperatures),
        mean: temperatures.reduce((a, b) => a + b, 0) / temperatures.length,
        max: Math.max(...temperatures),
        count: inBucket.length
      }
      if (setpoints.length > 0) point.setpoint = setpoints.reduce((a, b) => a + b, 0) / setpoints.length
      return point
    })
}

/** Means are compared to 1e-9: backends sum in different orders. */
function assertPoints(actual: SeriesPoint[], expected: SeriesPoint[]): void {
  const rounded = (points: SeriesPoint[]): SeriesPoint[] =>
    points.map((point) => {
      const copy = { ...point, mean: round(point.mean) }
      if (point.setpoint !== undefined) copy.setpoint = round(point.setpoint)
      return copy
    })
  assert.deepEqual(rounded(actual), rounded(expected))
}

function round(value: number): number {
  return Math.round(value * 1e9) / 1e9
}

function iso(time: number): string {
  return new Date(time).toISOString()
}

async function lines(csv: AsyncIterable<string>): Promise<string[]> {
  const result: string[] = []
  for await (const line of csv) {
    assert.ok(line.endsWith('\n'))
    result.push(line.slice(0, -1))
  }
  return result
}
