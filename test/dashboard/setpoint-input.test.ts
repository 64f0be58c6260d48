import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SETPOINT_RANGE } from '../../common/contract/command.js'
import { parseSetpoint, SETPOINT_LIMITS } from '../../dashboard/app/setpoint-input.js'

test('the dashboard checks the same setpoint range as the device contract', () => {
  assert.equal(SETPOINT_LIMITS.min, SETPOINT_RANGE.min)
  assert.equal(SETPOINT_LIMITS.max, SETPOINT_RANGE.max)
})

test('setpoints in range and on a half degree pass, with a decimal comma too', () => {
  assert.deepEqual(parseSetpoint('21.5'), { ok: true, value: 21.5 })
  assert.deepEqual(parseSetpoint(' 5 '), { ok: true, value: 5 })
  assert.deepEqual(parseSetpoint('35'), { ok: true, value: 35 })
  assert.deepEqual(parseSetpoint('19,5'), { ok: true, value: 19.5 })
})

test('each kind of bad setpoint gets its own message', () => {
  const message = (text: string): string => {
    const parsed = parseSetpoint(text)
    assert.equal(parsed.ok, false, text)
    return parsed.ok ? '' : parsed.message
  }
  assert.match(message(''), /Enter a setpoint/)
  assert.match(message('warm'), /"warm" is not a number/)
  assert.match(message('4.5'), /between 5 and 35/)
  assert.match(message('40'), /between 5 and 35/)
  assert.match(message('21.3'), /steps of 0.5/)
})
