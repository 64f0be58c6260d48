import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parsePlainNumber, zonedTime } from '../../../service/adapters/payload-values.js'
import { toCelsius } from '../../../service/adapters/temperature-unit.js'

test('plain numbers: decimal text only', () => {
  const cases: Array<[string, number | undefined]> = [
    ['21.5', 21.5],
    [' -3\n', -3],
    ['+4.', 4],
    ['.5', 0.5],
    ['1e1', 10],
    ['', undefined],
    ['nan', undefined],
    ['NaN', undefined],
    ['Infinity', undefined],
    ['0x10', undefined],
    ['21,5', undefined],
    ['unavailable', undefined]
  ]
  for (const [text, expected] of cases) assert.equal(parsePlainNumber(Buffer.from(text)), expected, JSON.stringify(text))
})

test('device times count only with a zone', () => {
  assert.equal(zonedTime('2024-01-05T12:00:00Z'), Date.UTC(2024, 0, 5, 12))
  assert.equal(zonedTime('2024-01-05T12:00:00-0500'), Date.UTC(2024, 0, 5, 17))
  assert.equal(zonedTime('2024-01-05T12:00:00'), undefined)
  assert.equal(zonedTime('yesterday Z'), undefined)
  assert.equal(zonedTime(1704456000000), 1704456000000)
  assert.equal(zonedTime(Number.NaN), undefined)
  assert.equal(zonedTime(null), undefined)
})

test('temperature units to °C', () => {
  assert.equal(toCelsius(21.5, '°C'), 21.5)
  assert.equal(toCelsius(21.5, 'C'), 21.5)
  assert.equal(toCelsius(-40, '°F'), -40)
  assert.equal(toCelsius(70.5, 'ºF'), 21.39)
  assert.equal(toCelsius(0, 'K'), -273.15)
  assert.equal(toCelsius(20, '%'), undefined)
  assert.equal(toCelsius(20, ''), undefined)
})
