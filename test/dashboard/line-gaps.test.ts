import assert from 'node:assert/strict'
import { test } from 'node:test'
import { gapAfterBuckets, gapAfterSpacing, withGaps } from '../../dashboard/app/line-gaps.js'

test('the gap is three times the median spacing, so a few missing readings do not move it', () => {
  assert.equal(gapAfterSpacing([0, 500, 1000, 1500, 2000, 60_000]), 1500)
  assert.equal(gapAfterSpacing([0, 10_000, 20_000, 25_000, 35_000]), 30_000)
  assert.equal(gapAfterSpacing([0]), Infinity)
  assert.equal(gapAfterSpacing([]), Infinity)
  assert.equal(gapAfterBuckets(60_000), 180_000)
})

test('a null point goes between two points further apart than the gap, and nowhere else', () => {
  const items = [0, 500, 1000, 9000, 9500].map((time) => ({ time, value: time / 1000 }))
  assert.deepEqual(
    withGaps(
      items,
      1500,
      (item) => item.time,
      (item) => item.value
    ),
    [
      { x: 0, y: 0 },
      { x: 500, y: 0.5 },
      { x: 1000, y: 1 },
      { x: 1001, y: null },
      { x: 9000, y: 9 },
      { x: 9500, y: 9.5 }
    ]
  )
  assert.equal(
    withGaps(
      items,
      Infinity,
      (item) => item.time,
      (item) => item.value
    ).length,
    5
  )
})
