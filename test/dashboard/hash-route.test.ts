import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRoute, type Route, routeHash } from '../../dashboard/app/hash-route.js'
import { customRange, presetRange } from '../../dashboard/app/time-ranges.js'

test('every route survives a trip through its hash, slashes in device ids included', () => {
  const routes: Route[] = [
    { view: 'overview' },
    { view: 'device', id: 'tasmota/kitchen' },
    { view: 'compare', ids: ['a/b', 'c/d'] },
    { view: 'compare', ids: [] },
    { view: 'broker' }
  ]
  for (const route of routes) assert.deepEqual(parseRoute(routeHash(route)), route)
  assert.equal(routeHash({ view: 'device', id: 'site 1/room#2' }), '#/device/site%201%2Froom%232')
  assert.deepEqual(parseRoute(''), { view: 'overview' })
  assert.deepEqual(parseRoute('#/nowhere'), { view: 'overview' })
})

test('preset ranges end now; a custom range must end after it starts', () => {
  assert.deepEqual(presetRange('24h', 100_000_000), { from: 100_000_000 - 86_400_000, to: 100_000_000 })
  assert.deepEqual(customRange('2026-01-05T10:00', '2026-01-05T12:00'), {
    from: new Date('2026-01-05T10:00').getTime(),
    to: new Date('2026-01-05T12:00').getTime()
  })
  assert.equal(customRange('2026-01-05T12:00', '2026-01-05T10:00'), 'The range must end after it starts.')
  assert.equal(customRange('', '2026-01-05T10:00'), 'Choose when the range starts.')
})
