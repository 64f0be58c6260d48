import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeAck, encodeAck } from '../../../common/contract/ack.js'
import { decodeMeta, encodeMeta } from '../../../common/contract/meta.js'

test('meta and acks round-trip and are validated', () => {
  const meta = { model: 'thermopost-sim', firmware: '1.0.0', unit: '°C' as const, interval: 5 }
  assert.deepEqual(decodeMeta(encodeMeta(meta)), meta)
  assert.throws(() => decodeMeta(Buffer.from('{"model":"m","firmware":"f","unit":"F","interval":5}')), /unit must be °C/)
  const refused = { id: 'c1', command: 'setpoint' as const, ok: false, reason: 'setpoint 40 °C is outside 5–35 °C' }
  assert.deepEqual(decodeAck(encodeAck(refused)), refused)
  assert.deepEqual(decodeAck(encodeAck({ command: 'mode', ok: true, value: 'heat' })), { command: 'mode', ok: true, value: 'heat' })
  assert.throws(() => decodeAck(Buffer.from('{"command":"fly","ok":true}')), /unknown command/)
})
