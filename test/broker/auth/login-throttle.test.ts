import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { addressKey, LoginThrottle, type LoginThrottleOptions } from '../../../broker/auth/login-throttle.js'

/** Repeated failed logins from one address are held longer and longer; on a simulated clock. */

function throttle(options: Partial<LoginThrottleOptions> = {}): { throttle: LoginThrottle; clock: { now: number } } {
  const clock = { now: 1_000_000 }
  const made = new LoginThrottle({
    freeFailures: 3,
    baseDelayMs: 1000,
    maxDelayMs: 8000,
    maxWaitMs: 20_000,
    forgetAfterMs: 60_000,
    maxPairs: 100,
    now: () => clock.now,
    ...options
  })
  return { throttle: made, clock }
}

/** One attempt that waits its hold, then fails; returns the hold. */
function failAfterHold(subject: LoginThrottle, clock: { now: number }, address: string, username?: string): number {
  const admission = subject.admit(address, username)
  assert.ok('delayMs' in admission, 'admitted')
  clock.now += admission.delayMs
  return admission.delayMs
}

describe('login throttle', () => {
  test('the first failures are free, then the hold doubles up to the maximum', () => {
    const { throttle: subject, clock } = throttle()
    const holds = Array.from({ length: 9 }, () => failAfterHold(subject, clock, '192.0.2.1'))
    assert.deepEqual(holds, [0, 0, 0, 1000, 2000, 4000, 8000, 8000, 8000])
    assert.equal(subject.failures('192.0.2.1'), 9)
  })

  test('a right password is held too once the address is throttled, and takes back only its own failure', () => {
    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 4; i++) failAfterHold(subject, clock, '192.0.2.1')
    const admission = subject.admit('192.0.2.1')
    assert.deepEqual(admission, { delayMs: 2000 }, 'held before anyone knows whether it is right')
    subject.succeeded('192.0.2.1')
    assert.equal(subject.failures('192.0.2.1'), 4, 'earlier failures are not cleared by a success')
  })

  test('a client that logs in right is never held', () => {
    const { throttle: subject } = throttle()
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(subject.admit('127.0.0.1'), { delayMs: 0 })
      subject.succeeded('127.0.0.1')
    }
    assert.equal(subject.failures('127.0.0.1'), 0)
    assert.equal(subject.size, 0, 'nothing remembered')
  })

  test('attempts sent all at once are paced one after another, and refused unchecked past maxWaitMs', () => {
    const { throttle: subject } = throttle()
    const admissions = Array.from({ length: 7 }, () => subject.admit('192.0.2.7'))
    // 3 free; then each waits behind the one before: +1000, +2000, +4000, +8000 → 1000, 3000, 7000, 15000.
    assert.deepEqual(admissions.slice(0, 7), [
      { delayMs: 0 },
      { delayMs: 0 },
      { delayMs: 0 },
      { delayMs: 1000 },
      { delayMs: 3000 },
      { delayMs: 7000 },
      { delayMs: 15000 }
    ])
    assert.deepEqual(subject.admit('192.0.2.7'), { refused: true }, '15000 + 8000 is past maxWaitMs')
  })

  test("one pair's failures never hold a correct login of another user from the same address", () => {
    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 8; i++) failAfterHold(subject, clock, '127.0.0.1', 'admin')
    assert.deepEqual(subject.admit('127.0.0.1', 'service'), { delayMs: 0 }, 'another user from the same address')
    subject.succeeded('127.0.0.1', 'service')
    assert.deepEqual(subject.admit('127.0.0.1', undefined), { delayMs: 0 }, 'an anonymous client from the same address')
    assert.deepEqual(subject.admit('192.0.2.9', 'admin'), { delayMs: 0 }, 'the same user from another address')
    assert.equal(subject.failures('127.0.0.1', 'service'), 0, 'a success leaves nothing behind')
  })

  test('the failing pair is held, right or wrong, and the hold is capped at maxDelayMs', () => {
    const { throttle: subject, clock } = throttle()
    const holds = Array.from({ length: 8 }, () => failAfterHold(subject, clock, '127.0.0.1', 'admin'))
    assert.deepEqual(holds, [0, 0, 0, 1000, 2000, 4000, 8000, 8000])
    assert.deepEqual(subject.admit('127.0.0.1', 'admin'), { delayMs: 8000 }, 'the right password of the pair waits the same')
  })

  test('an unknown user name is a pair like any other: its timing says nothing about which names exist', () => {
    const { throttle: subject, clock } = throttle()
    const known = Array.from({ length: 6 }, () => failAfterHold(subject, clock, '192.0.2.1', 'admin'))
    const unknown = Array.from({ length: 6 }, () => failAfterHold(subject, clock, '192.0.2.1', 'nobody-by-this-name'))
    assert.deepEqual(unknown, known)
  })

  test('addresses are counted apart', () => {
    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 5; i++) failAfterHold(subject, clock, '192.0.2.1')
    assert.deepEqual(subject.admit('192.0.2.2'), { delayMs: 0 })
    assert.equal(subject.failures('192.0.2.2'), 1)
  })

  test('loopback is throttled like any address unless exempted', () => {
    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 3; i++) failAfterHold(subject, clock, '127.0.0.1')
    assert.deepEqual(subject.admit('127.0.0.1'), { delayMs: 1000 })

    const { throttle: exempting, clock: clock2 } = throttle({ exempt: (address) => address === '127.0.0.1' })
    for (let i = 0; i < 10; i++) assert.equal(failAfterHold(exempting, clock2, '127.0.0.1'), 0)
    assert.equal(exempting.size, 0)
  })

  test('an address is forgotten after a quiet period', () => {
    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 6; i++) failAfterHold(subject, clock, '192.0.2.1')
    clock.now += 59_999
    assert.equal(failAfterHold(subject, clock, '192.0.2.1'), 8000, 'not yet forgotten')
    clock.now += 59_999
    assert.equal(subject.failures('192.0.2.1'), 7, 'the quiet period counts from the last answer')
    clock.now += 1
    assert.equal(subject.failures('192.0.2.1'), 0)
    assert.deepEqual(subject.admit('192.0.2.1'), { delayMs: 0 })
  })

  test('memory is bounded: the oldest and the forgotten addresses are dropped first', () => {
    const { throttle: subject, clock } = throttle({ maxPairs: 10 })
    for (let i = 0; i < 50; i++) {
      subject.admit(`198.51.100.${i}`)
      clock.now += 1
    }
    assert.equal(subject.size, 10)
    assert.equal(subject.failures('198.51.100.0'), 0, 'the oldest was dropped')
    assert.equal(subject.failures('198.51.100.49'), 1)

    clock.now += 60_000
    subject.admit('203.0.113.1')
    assert.equal(subject.size, 1, 'the forgotten ones went on the next failure')
  })

  test('IPv6 counts per /64, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64')
    assert.equal(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64')
    assert.equal(addressKey('2001:0DB8:0001:0002::'), '2001:db8:1:2::/64')
    assert.equal(addressKey('::1'), '0:0:0:0::/64')
    assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64')
    assert.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1')
    assert.equal(addressKey('192.0.2.1'), '192.0.2.1')
    assert.equal(addressKey(undefined), 'unknown')

    const { throttle: subject, clock } = throttle()
    for (let i = 0; i < 3; i++) failAfterHold(subject, clock, `2001:db8:1:2::${i + 1}`)
    assert.deepEqual(subject.admit('2001:db8:1:2:ffff::9'), { delayMs: 1000 }, 'another host in the same /64')
  })
})
