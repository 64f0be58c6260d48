import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { AlertMonitor, type AlertMonitorOptions, type AlertShare } from '../../../service/alerts/alert-monitor.js'
import type { AlertRule } from '../../../service/alerts/alert-rule.js'
import type { AlertRecord } from '../../../service/api/api-types.js'
import type { Reading } from '../../../service/reading.js'
import { silentLogger } from '../core/service-fixture.js'

/** The alert monitor of one active-active instance, on its own: what it shares is recorded, nothing goes to a broker. */

const hot: AlertRule = { id: 'hot', deviceId: '*', condition: { kind: 'above', threshold: 30, forMs: 0 }, severity: 'warning' }

class RecordingShare implements AlertShare {
  readonly published: AlertRecord[] = []
  readonly forgotten: string[] = []
  readonly requests: Array<[string, number]> = []
  publish(alert: AlertRecord): void {
    this.published.push(alert)
  }
  forget(id: string): void {
    this.forgotten.push(id)
  }
  requestAcknowledge(id: string, at: number): void {
    this.requests.push([id, at])
  }
}

/** A monitor of the rule `hot` that shares through `share`, with no devices, link or live feed of its own; closed after the test. */
function monitorSharing(t: TestContext, share: AlertShare, options: Pick<AlertMonitorOptions, 'maxCleared' | 'now'> = {}): AlertMonitor {
  const monitor = new AlertMonitor({
    rules: [hot],
    devices: { list: () => [], setOpenAlerts: () => {} },
    link: { publish: async () => {} },
    emit: () => {},
    share,
    logger: silentLogger,
    checkMs: 60_000,
    ...options
  })
  t.after(() => monitor.close())
  return monitor
}

function sharedMonitor(t: TestContext, maxCleared = 1000): { monitor: AlertMonitor; share: RecordingShare } {
  const share = new RecordingShare()
  return { monitor: monitorSharing(t, share, { maxCleared }), share }
}

function reading(temperature: number): Reading {
  return { deviceId: 'home/hall', site: 'home', device: 'hall', source: 'thermopost', time: Date.now(), temperature }
}

const raised: AlertRecord = {
  id: 'a1',
  ruleId: 'hot',
  deviceId: 'home/hall',
  severity: 'warning',
  state: 'raised',
  message: 'above 30 °C (31 °C)',
  raisedAt: 1000
}

test('an instance that does not lead evaluates nothing, asks the leader to acknowledge, and records a request itself once it leads', (t) => {
  const { monitor, share } = sharedMonitor(t)
  monitor.handleReading(reading(31))
  assert.deepEqual([monitor.list(), share.published], [[], []], 'no rule evaluated while another instance leads')

  monitor.merge(raised)
  const answered = monitor.acknowledge('a1')
  assert.equal(answered.state, 'acknowledged')
  assert.deepEqual(share.requests, [['a1', answered.acknowledgedAt]])
  assert.equal(monitor.list()[0]?.state, 'raised', 'listed as the leader has it')

  // The leader went before it heard of the request: this instance leads next, and records it.
  monitor.lead()
  assert.deepEqual(
    share.published.map(({ id, state, acknowledgedAt }) => [id, state, acknowledgedAt]),
    [['a1', 'acknowledged', answered.acknowledgedAt]]
  )
  // Its condition still holds: the open alert is kept, not raised again.
  monitor.handleReading(reading(32))
  assert.deepEqual(
    monitor.list().map(({ id }) => id),
    ['a1']
  )
})

test('a record behind the one known is not taken; a forgotten alert leaves the list', (t) => {
  const { monitor } = sharedMonitor(t)
  monitor.merge({ ...raised, state: 'cleared', clearedAt: 2000 })
  monitor.merge(raised)
  assert.equal(monitor.list()[0]?.state, 'cleared')
  monitor.forget('a1')
  assert.deepEqual(monitor.list(), [])
})

test('the leader forgets the oldest cleared alerts past its limit, on the broker too', (t) => {
  const { monitor, share } = sharedMonitor(t, 1)
  monitor.lead()
  for (const temperature of [31, 20, 31, 20]) monitor.handleReading(reading(temperature))
  const [kept] = monitor.list()
  const first = share.published[0]!
  assert.equal(monitor.list().length, 1)
  assert.notEqual(kept?.id, first.id)
  assert.deepEqual(share.forgotten, [first.id])
})

/**
 * Two instances' monitors and the broker between them, as far as the alerts go: what one shares reaches the
 * other (No Local, as on the broker) when `deliver` is called, in order; an acknowledgement request reaches both.
 */
class Wire {
  readonly monitors: AlertMonitor[] = []
  readonly forgotten: string[] = []
  private readonly queue: Array<() => void> = []

  /** The share of monitor `from` (0 or 1). */
  shareOf(from: number): AlertShare {
    const other = () => this.monitors[1 - from]!
    return {
      publish: (alert) => this.queue.push(() => other().merge(alert)),
      forget: (id) => {
        this.forgotten.push(id)
        this.queue.push(() => other().forget(id))
      },
      requestAcknowledge: (id, at) =>
        this.queue.push(() => {
          for (const monitor of this.monitors) monitor.acknowledgeRequested(id, at)
        })
    }
  }

  deliver(): void {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) next()
  }
}

/** Two monitors, each leading (a split), the second's clock `skewMs` ahead. */
function twoLeaders(t: TestContext, skewMs: number): { a: AlertMonitor; b: AlertMonitor; wire: Wire } {
  const wire = new Wire()
  for (const [index, offset] of [0, skewMs].entries()) {
    const monitor = monitorSharing(t, wire.shareOf(index), { now: () => Date.now() + offset })
    monitor.lead()
    wire.monitors.push(monitor)
  }
  return { a: wire.monitors[0]!, b: wire.monitors[1]!, wire }
}

function readingAt(time: number, temperature: number): Reading {
  return { ...reading(temperature), time }
}

test('two leaders at once that judge the same readings raise the same alert, and their copies converge to one record on both', (t) => {
  const { a, b, wire } = twoLeaders(t, 7)
  for (const monitor of [a, b]) monitor.handleReading(readingAt(5000, 31))
  wire.deliver()
  assert.equal(a.list().length, 1)
  assert.deepEqual(b.list(), a.list())

  b.acknowledge(a.list()[0]!.id)
  wire.deliver()
  assert.equal(a.list()[0]?.state, 'acknowledged')
  assert.deepEqual(b.list(), a.list())

  for (const monitor of [a, b]) monitor.handleReading(readingAt(6000, 20))
  wire.deliver()
  assert.deepEqual(
    a.list().map(({ state }) => state),
    ['cleared']
  )
  assert.deepEqual(b.list(), a.list())
})

test('two leaders that saw an episode begin at different readings fold its two alerts into the first raised, on both; the dropped id still acknowledges it', (t) => {
  const { a, b, wire } = twoLeaders(t, 5)
  a.handleReading(readingAt(5000, 31))
  const [first] = a.list()
  // The second's feed began a reading later: it names the episode by another reading, and raises later.
  b.handleReading(readingAt(5100, 31))
  const [second] = b.list()
  assert.notEqual(first!.id, second!.id)

  wire.deliver()
  assert.deepEqual(
    a.list().map(({ id, state }) => [id, state]),
    [[first!.id, 'raised']]
  )
  assert.deepEqual(b.list(), a.list())
  assert.ok(wire.forgotten.includes(second!.id), "the dropped alert's record is removed from the broker")

  b.acknowledge(second!.id)
  wire.deliver()
  assert.deepEqual(
    a.list().map(({ id, state }) => [id, state]),
    [[first!.id, 'acknowledged']]
  )
  assert.deepEqual(b.list(), a.list())
})
