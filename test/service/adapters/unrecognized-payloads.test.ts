import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UnrecognizedPayloads } from '../../../service/adapters/unrecognized-payloads.js'
import { type LogLine, recordingLogger } from './recording-logger.js'

function counter(intervalMs = 60_000): { counter: UnrecognizedPayloads; lines: LogLine[]; clock: { now: number } } {
  const clock = { now: 1_000_000 }
  const { logger, lines } = recordingLogger()
  return { counter: new UnrecognizedPayloads(logger, { intervalMs, now: () => clock.now }), lines, clock }
}

test('the first unrecognized payload is logged at once, the next ones once per interval, summed', () => {
  const { counter: unrecognized, lines, clock } = counter()
  unrecognized.count('tasmota', 'payload is not JSON', 'tele/a/SENSOR')
  assert.equal(lines.length, 1)
  assert.equal(lines[0].level, 40)
  assert.deepEqual(lines[0].unrecognized, [{ adapter: 'tasmota', reason: 'payload is not JSON', count: 1, topic: 'tele/a/SENSOR' }])

  for (let i = 0; i < 5; i++) {
    clock.now += 10_000
    unrecognized.count('tasmota', 'payload is not JSON', `tele/b${i}/SENSOR`)
  }
  unrecognized.count('homie', '$state "x" is not a Homie state', 'homie/d/$state')
  assert.equal(lines.length, 1, 'nothing more within the interval')

  clock.now += 10_000
  unrecognized.count('tasmota', 'payload is not JSON', 'tele/c/SENSOR')
  assert.equal(lines.length, 2)
  assert.equal(lines[1].msg, '7 payloads no adapter could read')
  assert.deepEqual(lines[1].unrecognized, [
    { adapter: 'tasmota', reason: 'payload is not JSON', count: 6, topic: 'tele/c/SENSOR' },
    { adapter: 'homie', reason: '$state "x" is not a Homie state', count: 1, topic: 'homie/d/$state' }
  ])
  assert.deepEqual(
    unrecognized.snapshot().map((entry) => [entry.adapter, entry.count]),
    [
      ['tasmota', 7],
      ['homie', 1]
    ]
  )
})

test('flush logs what is pending, and nothing when nothing is', () => {
  const { counter: unrecognized, lines, clock } = counter()
  unrecognized.count('esphome', 'state is not a number', 'n/sensor/t/state')
  unrecognized.count('esphome', 'state is not a number', 'n/sensor/t/state')
  unrecognized.flush()
  assert.equal(lines.length, 2)
  assert.equal((lines[1].unrecognized as Array<{ count: number }>)[0].count, 1)
  unrecognized.flush()
  assert.equal(lines.length, 2)
  // A flush starts a new interval.
  clock.now += 1000
  unrecognized.count('esphome', 'state is not a number', 'n/sensor/t/state')
  assert.equal(lines.length, 2)
})

test('distinct reasons are capped; the rest are counted together per adapter', () => {
  const { counter: unrecognized } = counter()
  for (let i = 0; i < 250; i++) unrecognized.count('tasmota', `TempUnit "${i}" is neither C nor F`, 'tele/x/SENSOR')
  const snapshot = unrecognized.snapshot()
  assert.equal(snapshot.length, 201)
  assert.deepEqual(snapshot[0], { adapter: 'tasmota', reason: 'other reasons', count: 50, topic: 'tele/x/SENSOR' })
})
