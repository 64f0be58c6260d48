import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SETPOINT_RANGE } from '../../common/contract/command.js'
import { parseSetpoint, type SetpointLimits } from '../../dashboard/app/setpoint-input.js'

/** The rule the API serves at GET /api/limits. */
const CONTRACT: SetpointLimits = SETPOINT_RANGE

test('the dashboard checks whatever rule the API serves, not a copy of its own', () => {
  assert.deepEqual(parseSetpoint('21.3', { min: 5, max: 35, step: 0.1 }), { ok: true, value: 21.3 })
  assert.deepEqual(parseSetpoint('21.3', CONTRACT), { ok: false, message: 'The setpoint goes in steps of 0.5 °C.' })
  assert.deepEqual(parseSetpoint('3', { min: 0, max: 10, step: 1 }), { ok: true, value: 3 })
})

test('setpoints in range and on a half degree pass, with a decimal comma too', () => {
  assert.deepEqual(parseSetpoint('21.5', CONTRACT), { ok: true, value: 21.5 })
  assert.deepEqual(parseSetpoint(' 5 ', CONTRACT), { ok: true, value: 5 })
  assert.deepEqual(parseSetpoint('35', CONTRACT), { ok: true, value: 35 })
  assert.deepEqual(parseSetpoint('19,5', CONTRACT), { ok: true, value: 19.5 })
})

test('each kind of bad setpoint gets its own message', () => {
  const message = (text: string): string => {
    const parsed = parseSetpoint(text, CONTRACT)
    assert.equal(parsed.ok, false, text)
    return parsed.ok ? '' : parsed.message
  }
  assert.match(message(''), /Enter a setpoint/)
  assert.match(message('warm'), /"warm" is not a number/)
  assert.match(message('4.5'), /between 5 and 35/)
  assert.match(message('40'), /between 5 and 35/)
  assert.match(message('21.3'), /steps of 0.5/)
})
