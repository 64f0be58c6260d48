import assert from 'node:assert/strict'
import { test } from 'node:test'
import { alertId } from '../../../service/alerts/alert-id.js'
import { firstRaised, joinAlertRecords } from '../../../service/alerts/join-alert-records.js'
import type { AlertRecord } from '../../../service/api/api-types.js'

/** What names an alert, and the one record two copies of it come to. */

test('an alert id is a name-based UUID of its rule, device and episode: the same wherever it is made, another for any other, or for a later episode that began at the same time', () => {
  const id = alertId('hot', 'home/loft', 1_700_000_000_000)
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  assert.equal(alertId('hot', 'home/loft', 1_700_000_000_000), id)
  const others = [
    alertId('cold', 'home/loft', 1_700_000_000_000),
    alertId('hot', 'home/hall', 1_700_000_000_000),
    alertId('hot', 'home/loft', 1_700_000_000_001)
  ]
  assert.equal(
    new Set([id, ...others, alertId('hot', 'home/loft', 1_700_000_000_000, 1)]).size,
    5,
    'a repeat of the episode start is another'
  )
})

const raised: AlertRecord = {
  id: 'a1',
  ruleId: 'hot',
  deviceId: 'home/loft',
  severity: 'warning',
  state: 'raised',
  message: 'above 30 °C (31 °C)',
  raisedAt: 1000
}
const raisedLater: AlertRecord = { ...raised, raisedAt: 1004, message: 'above 30 °C (32 °C)' }
const acknowledged: AlertRecord = { ...raisedLater, state: 'acknowledged', acknowledgedAt: 2000 }
const cleared: AlertRecord = { ...raised, state: 'cleared', clearedAt: 3000 }

test('two copies of an alert join to the furthest state, the first raise with its message, and the earliest acknowledgement and clearing', () => {
  assert.deepEqual(joinAlertRecords(raised, acknowledged), { ...raised, state: 'acknowledged', acknowledgedAt: 2000 })
  assert.deepEqual(joinAlertRecords(acknowledged, cleared), { ...raised, state: 'cleared', acknowledgedAt: 2000, clearedAt: 3000 })
  assert.deepEqual(joinAlertRecords(cleared, raised), cleared, 'a copy behind changes nothing')
})

test('joining is the same in any order, any grouping and any number of times: the copies converge wherever they are joined', () => {
  const copies = [raised, raisedLater, acknowledged, cleared]
  const expected = copies.reduce(joinAlertRecords)
  for (const order of [
    [3, 2, 1, 0],
    [1, 3, 0, 2],
    [2, 0, 3, 1]
  ]) {
    assert.deepEqual(order.map((index) => copies[index]!).reduce(joinAlertRecords), expected)
  }
  assert.deepEqual(
    joinAlertRecords(joinAlertRecords(raised, raisedLater), joinAlertRecords(acknowledged, cleared)),
    joinAlertRecords(raised, joinAlertRecords(raisedLater, joinAlertRecords(acknowledged, cleared)))
  )
  assert.deepEqual(joinAlertRecords(expected, expected), expected)
})

test('of two alerts, the one raised first is kept, then the smaller id: the same choice on every instance', () => {
  const other = { ...raised, id: 'a0' }
  assert.equal(firstRaised(raisedLater, raised), raised)
  assert.equal(firstRaised(raised, other), other)
  assert.equal(firstRaised(other, raised), other)
})
