import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type DeadlineTarget, DeadlineWheel, NO_DEADLINE } from '../../broker/deadline-wheel.js'

/** The wheel is driven by explicit `tick(now)` calls; its resolution is long enough that its own timer never fires here. */
const RESOLUTION = 60_000

function target(): DeadlineTarget & { calls: number[] } {
  return {
    deadlineSlot: NO_DEADLINE,
    calls: [],
    deadlineReached(now: number) {
      this.calls.push(now)
    }
  }
}

describe('DeadlineWheel', () => {
  test('calls a target once, at the first tick past its deadline and never before it', () => {
    const wheel = new DeadlineWheel(RESOLUTION)
    const start = Date.now()
    const waiting = target()
    wheel.schedule(waiting, start + RESOLUTION)
    wheel.tick(start + RESOLUTION / 2)
    assert.deepEqual(waiting.calls, [])
    wheel.tick(start + 2 * RESOLUTION)
    assert.deepEqual(waiting.calls, [start + 2 * RESOLUTION])
    assert.equal(waiting.deadlineSlot, NO_DEADLINE)
    wheel.tick(start + 5 * RESOLUTION)
    assert.equal(waiting.calls.length, 1)
  })

  test('a cancelled target is not called; a rescheduled one only at its new deadline', () => {
    const wheel = new DeadlineWheel(RESOLUTION)
    const start = Date.now()
    const cancelled = target()
    const moved = target()
    wheel.schedule(cancelled, start + RESOLUTION)
    wheel.schedule(moved, start + RESOLUTION)
    wheel.cancel(cancelled)
    wheel.schedule(moved, start + 4 * RESOLUTION)
    wheel.tick(start + 3 * RESOLUTION)
    assert.deepEqual(cancelled.calls, [])
    assert.deepEqual(moved.calls, [])
    wheel.tick(start + 5 * RESOLUTION)
    assert.deepEqual(moved.calls, [start + 5 * RESOLUTION])
  })

  test('a deadline already past is called on the next tick, and a target may schedule itself again when called', () => {
    const wheel = new DeadlineWheel(RESOLUTION)
    const start = Date.now()
    const calls: number[] = []
    const repeating: DeadlineTarget = {
      deadlineSlot: NO_DEADLINE,
      deadlineReached(now) {
        calls.push(now)
        if (calls.length < 2) wheel.schedule(this, now + RESOLUTION)
      }
    }
    wheel.schedule(repeating, start - 10 * RESOLUTION)
    wheel.tick(start + RESOLUTION)
    assert.deepEqual(calls, [start + RESOLUTION])
    wheel.tick(start + 3 * RESOLUTION)
    assert.deepEqual(calls, [start + RESOLUTION, start + 3 * RESOLUTION])
    assert.equal(repeating.deadlineSlot, NO_DEADLINE)
  })

  test('its own timer calls a target soon after the deadline', async (t) => {
    // The wheel's timer is unref'd (it never keeps a process alive): this one keeps the test's loop running.
    const keepAlive = setTimeout(() => {}, 5000)
    t.after(() => clearTimeout(keepAlive))
    const wheel = new DeadlineWheel(20)
    const start = Date.now()
    const reached = new Promise<number>((resolve) => {
      wheel.schedule({ deadlineSlot: NO_DEADLINE, deadlineReached: resolve }, start + 50)
    })
    assert.ok((await reached) >= start + 50)
  })
})
