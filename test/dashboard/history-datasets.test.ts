import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gapThreshold, HISTORY_LABELS, historyDatasets } from '../../dashboard/app/history-datasets.js'
import { seriesCaption } from '../../dashboard/app/series-caption.js'
import type { Series, SeriesPoint } from '../../service/history/history-store.js'

const colors = { band: 'band', bandEdge: 'edge', mean: 'mean', setpoint: 'setpoint' }
const MINUTE = 60_000

function point(time: number, mean: number, setpoint?: number): SeriesPoint {
  return { time, min: mean - 1, mean, max: mean + 1, count: 6, ...(setpoint === undefined ? {} : { setpoint }) }
}

test('the band is max filled down to min; mean and setpoint are lines over the same times', () => {
  const series: Series = {
    deviceId: 'home/kitchen',
    resolution: '1m',
    bucketMs: MINUTE,
    points: [point(0, 20, 21), point(MINUTE, 20.5, 21), point(2 * MINUTE, 21, 22)]
  }
  const [min, max, mean, setpoint] = historyDatasets(series, colors)
  assert.deepEqual(
    [min.label, max.label, mean.label, setpoint.label],
    [HISTORY_LABELS.min, HISTORY_LABELS.max, HISTORY_LABELS.mean, HISTORY_LABELS.setpoint]
  )
  assert.equal(min.fill, false)
  assert.equal(max.fill, '-1')
  assert.deepEqual(min.data, [
    { x: 0, y: 19 },
    { x: MINUTE, y: 19.5 },
    { x: 2 * MINUTE, y: 20 }
  ])
  assert.deepEqual(
    max.data.map((xy) => xy.y),
    [21, 21.5, 22]
  )
  assert.deepEqual(
    mean.data.map((xy) => xy.y),
    [20, 20.5, 21]
  )
  assert.deepEqual(
    setpoint.data.map((xy) => xy.y),
    [21, 21, 22]
  )
  assert.equal(setpoint.stepped, 'before')
})

test('a silence longer than three buckets breaks every line; points without a setpoint leave it blank', () => {
  const series: Series = {
    deviceId: 'a/b',
    resolution: '1m',
    bucketMs: MINUTE,
    points: [point(0, 20), point(MINUTE, 20), point(10 * MINUTE, 22, 21)]
  }
  const [min, , mean, setpoint] = historyDatasets(series, colors)
  assert.deepEqual(mean.data, [
    { x: 0, y: 20 },
    { x: MINUTE, y: 20 },
    { x: MINUTE + 1, y: null },
    { x: 10 * MINUTE, y: 22 }
  ])
  assert.equal(min.data.length, 4)
  assert.deepEqual(
    setpoint.data.map((xy) => xy.y),
    [null, null, null, 21]
  )
})

test('raw readings break at three times their usual spacing', () => {
  const times = [0, 10_000, 20_000, 30_000, 200_000]
  const series: Series = { deviceId: 'a/b', resolution: 'raw', bucketMs: 0, points: times.map((time) => point(time, 20)) }
  assert.equal(gapThreshold(series), 30_000)
  assert.equal(historyDatasets(series, colors)[2].data.filter((xy) => xy.y === null).length, 1)
  assert.equal(gapThreshold({ ...series, points: [point(0, 20)] }), Infinity)
})

test('the caption names the resolution drawn and says when hourly rollups were merged', () => {
  const points = [point(0, 20)]
  assert.equal(seriesCaption({ deviceId: 'a/b', resolution: 'raw', bucketMs: 0, points }), 'raw readings · 1 point')
  assert.equal(
    seriesCaption({ deviceId: 'a/b', resolution: '1m', bucketMs: MINUTE, points: [...points, ...points] }),
    '1-minute rollups · 2 points'
  )
  assert.equal(
    seriesCaption({ deviceId: 'a/b', resolution: '1h', bucketMs: 3_600_000, points: Array(1440).fill(points[0]) }),
    'hourly rollups · 1,440 points'
  )
  assert.equal(
    seriesCaption({ deviceId: 'a/b', resolution: '1h', bucketMs: 6 * 3_600_000, points }),
    'hourly rollups merged into 6 h buckets · 1 point'
  )
})
