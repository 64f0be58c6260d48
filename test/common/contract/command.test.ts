import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeCommand, encodeCommand } from '../../../common/contract/command.js'

test('commands come as {id, value} JSON or as the bare value Home Assistant sends', () => {
  assert.deepEqual(decodeCommand('setpoint', encodeCommand('c1', 21.5)), { name: 'setpoint', id: 'c1', value: 21.5 })
  assert.deepEqual(decodeCommand('setpoint', Buffer.from('19.5')), { name: 'setpoint', value: 19.5 })
  assert.deepEqual(decodeCommand('mode', Buffer.from('heat')), { name: 'mode', value: 'heat' })
  assert.deepEqual(decodeCommand('interval', encodeCommand('c2', 10)), { name: 'interval', id: 'c2', value: 10 })
  assert.deepEqual(decodeCommand('reboot', encodeCommand('c3', undefined)), { name: 'reboot', id: 'c3' })
  assert.deepEqual(decodeCommand('reboot', Buffer.alloc(0)), { name: 'reboot' })
  assert.throws(() => decodeCommand('explode', Buffer.from('1')), /unknown command 'explode'/)
  assert.throws(() => decodeCommand('mode', Buffer.from('cool')), /mode value must be off or heat/)
  assert.throws(() => decodeCommand('setpoint', Buffer.from('warm')), /setpoint value must be a number/)
  assert.throws(() => decodeCommand('setpoint', Buffer.from('{"value": 20}')), /command id must be a non-empty string/)
})
