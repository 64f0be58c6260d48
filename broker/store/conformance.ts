import assert from 'node:assert/strict'
import { describe } from 'node:test'
import type { QoS } from 'mqtt-packet'
import type { Delivery, Message } from '../message.js'
import type { SessionQueue, SessionRecord, Store, SubscriptionRecord } from './store.js'

type TestFn = (name: string, fn: () => Promise<void>) => unknown

export interface StoreConformanceOptions {
  /** node:test's `test` (or a `describe`-scoped `it`); the suite groups its tests with node:test's `describe`. */
  test: TestFn
  /** A new, empty store. */
  makeStore: () => Promise<Store>
  /** The same data opened again as a broker restart would: a new instance on the same file, or the same instance in memory. */
  reopen: (store: Store) => Promise<Store>
  /** The store reports its commits (Store.observeCommits): a store with commits to make should. */
  reportsCommits?: boolean
}

/** What each group of tests gets: the test function, a fresh store per test, and the same data opened again. */
interface StoreHarness {
  test: TestFn
  /** Runs `body` on a new, opened store, and closes every store the test made or reopened. */
  withStore: (body: (store: Store) => Promise<void>) => Promise<void>
  /** The store's data as a broker restart finds it: flushed, then reopened. */
  restarted: (store: Store) => Promise<Store>
  reportsCommits: boolean
}

/**
 * The behaviour every Store backend must show (memory now, SQLite and Redis later), grouped by what it keeps.
 * Each backend's test file calls this with its own factories and adds its backend-only tests.
 */
export function storeConformance(options: StoreConformanceOptions): void {
  const harness = storeHarness(options)
  describe('opening and flushing', () => openingTests(harness))
  describe('sessions and subscriptions', () => sessionTests(harness))
  describe('queues', () => queueTests(harness))
  describe('in-flight and incoming QoS 2', () => inflightTests(harness))
  describe('retained messages', () => retainedTests(harness))
}

function storeHarness({ test, makeStore, reopen, reportsCommits = false }: StoreConformanceOptions): StoreHarness {
  /** Every store a test made or reopened, closed after it (a reopened store may be a new instance). */
  let opened: Store[] = []

  async function withStore(body: (store: Store) => Promise<void>): Promise<void> {
    const store = await makeStore()
    opened = [store]
    try {
      await store.open()
      await body(store)
    } finally {
      for (const each of new Set(opened)) await each.close()
    }
  }

  async function restarted(store: Store): Promise<Store> {
    await store.flush()
    const again = await reopen(store)
    opened.push(again)
    return again
  }

  return { test, withStore, restarted, reportsCommits }
}

/** A new store, and flush. */
function openingTests({ test, withStore, reportsCommits }: StoreHarness): void {
  test('a new store opens empty', () =>
    withStore(async (store) => {
      const snapshot = await store.open()
      assert.deepEqual(snapshot.sessions, [])
      assert.deepEqual(snapshot.retained, [])
      assert.equal(snapshot.lastMessageId, 0)
    }))

  test('flush resolves', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      await store.flush()
      await store.flush()
    }))

  // The metrics' commit latency and batch size (admin/broker-metrics.ts); a store without commits has nothing to tell.
  test('a store that reports its commits tells each one with its writes and its duration', () =>
    withStore(async (store) => {
      assert.equal(store.observeCommits !== undefined, reportsCommits)
      if (store.observeCommits === undefined) return
      const commits: Array<{ operations: number; seconds: number }> = []
      store.observeCommits((operations, seconds) => commits.push({ operations, seconds }))
      store.saveSession(sessionRecord('a', 60))
      store.saveSubscription('a', subscription('t/+', 1))
      store.saveSession(sessionRecord('b', 60))
      await store.flush()
      assert.ok(commits.length >= 1, 'a commit reported')
      // At least one operation per write: a backend may count a write as several (Redis: its commands).
      const operations = commits.reduce((sum, commit) => sum + commit.operations, 0)
      assert.ok(operations >= 3, `${operations} operations for three writes`)
      for (const { seconds } of commits) assert.ok(seconds > 0 && seconds < 10, `${seconds} s`)
    }))
}

/** Session records and the subscriptions they own. */
function sessionTests({ test, withStore, restarted }: StoreHarness): void {
  test('sessions and their subscriptions come back after a restart', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      store.saveSession(sessionRecord('b', 0xffffffff))
      store.saveSubscription('a', subscription('t/+', 1))
      store.saveSubscription('a', subscription('$share/g/x/#', 2, 7))
      store.saveSubscription('a', subscription('gone', 0))
      store.deleteSubscription('a', 'gone')
      const snapshot = await (await restarted(store)).open()
      const byId = new Map(snapshot.sessions.map((session) => [session.record.clientId, session]))
      assert.deepEqual([...byId.keys()].sort(), ['a', 'b'])
      assert.equal(byId.get('b')!.record.expiryInterval, 0xffffffff)
      assert.equal(byId.get('a')!.record.disconnectedAt, 1_700_000_000_000)
      const filters = byId
        .get('a')!
        .subscriptions.map((sub) => sub.fullFilter)
        .sort()
      assert.deepEqual(filters, ['$share/g/x/#', 't/+'])
      const shared = byId.get('a')!.subscriptions.find((sub) => sub.fullFilter.startsWith('$share'))!
      assert.equal(shared.qos, 2)
      assert.equal(shared.subscriptionId, 7)
    }))

  test("a session's owner comes back after a restart: a user, anonymous, or unknown", () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('user', 60))
      store.saveSession({ ...sessionRecord('anonymous', 60), owner: { username: undefined } })
      store.saveSession({ ...sessionRecord('unknown', 60), owner: 'unknown' })
      const snapshot = await (await restarted(store)).open()
      const owners = new Map(snapshot.sessions.map((session) => [session.record.clientId, session.record.owner]))
      assert.deepEqual(owners.get('user'), { username: 'user-1' })
      assert.deepEqual(owners.get('anonymous'), { username: undefined })
      assert.equal(owners.get('unknown'), 'unknown')
    }))

  test('saving a session again replaces its record and keeps its subscriptions', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      store.saveSubscription('a', subscription('t', 1))
      store.saveSession({ ...sessionRecord('a', 120), disconnectedAt: undefined })
      const [session] = (await (await restarted(store)).open()).sessions
      assert.equal(session.record.expiryInterval, 120)
      assert.equal(session.record.disconnectedAt, undefined)
      assert.equal(session.subscriptions.length, 1)
    }))

  test('deleting a session removes everything it owns', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      store.saveSubscription('a', subscription('t', 1))
      store.queue('a').push(delivery(message(1, 't'), 1))
      store.saveInflight('a', { packetId: 3, state: 'publish', delivery: delivery(message(2, 't'), 1) })
      store.saveIncomingQos2('a', 9)
      store.deleteSession('a')
      store.saveSession(sessionRecord('a', 60))
      assert.equal(store.queue('a').length, 0)
      const [session] = (await (await restarted(store)).open()).sessions
      assert.deepEqual(session.subscriptions, [])
      assert.deepEqual(session.inflight, [])
      assert.deepEqual(session.incomingQos2, [])
    }))
}

/** The queue of messages waiting for each session. */
function queueTests({ test, withStore, restarted }: StoreHarness): void {
  test('a queue keeps order, counts and bytes, and survives a restart', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      const queue = store.queue('a')
      for (let id = 1; id <= 5; id++) queue.push(delivery(message(id, `t/${id}`, 'x'.repeat(id)), (id % 3) as QoS))
      assert.equal(queue.length, 5)
      assert.equal(queue.bytes, 15)
      assert.equal(queue.shift()!.message.id, 1)
      assert.equal(queue.bytes, 14)
      const again = await restarted(store)
      await again.open()
      const reopened = again.queue('a')
      assert.equal(reopened.length, 4)
      const ids: number[] = []
      for (const item of await drainQueue(reopened)) {
        ids.push(item.message.id)
        assert.equal(item.message.topic, `t/${item.message.id}`)
        assert.equal(item.message.payload.toString(), 'x'.repeat(item.message.id))
        assert.equal(item.qos, item.message.id % 3)
      }
      assert.deepEqual(ids, [2, 3, 4, 5])
      assert.equal(reopened.bytes, 0)
    }))

  test('queues of different sessions are separate; clear empties one', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      store.saveSession(sessionRecord('b', 60))
      const shared = message(1, 't')
      store.queue('a').push(delivery(shared, 1))
      store.queue('b').push(delivery(shared, 2))
      store.queue('a').clear()
      assert.equal(store.queue('a').length, 0)
      assert.equal(store.queue('b').length, 1)
      assert.equal(store.queue('b').shift()!.qos, 2)
    }))

  test('message expiry and origin survive a restart', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      const expiring = { ...message(1, 't'), expiresAt: 1_800_000_000_000, origin: 'publisher' }
      store.queue('a').push(delivery(expiring, 1))
      const again = await restarted(store)
      await again.open()
      const item = (await nextDelivery(again.queue('a')))!
      assert.equal(item.message.expiresAt, 1_800_000_000_000)
      assert.equal(item.message.origin, 'publisher')
    }))
}

/** Outgoing messages awaiting their acknowledgement, and the ids of incoming QoS 2 messages awaiting PUBREL. */
function inflightTests({ test, withStore, restarted }: StoreHarness): void {
  test('in-flight records and inbound QoS 2 ids come back in order', () =>
    withStore(async (store) => {
      store.saveSession(sessionRecord('a', 60))
      store.saveInflight('a', { packetId: 10, state: 'publish', delivery: delivery(message(1, 'x'), 1) })
      store.saveInflight('a', { packetId: 11, state: 'publish', delivery: delivery(message(2, 'y'), 2) })
      store.saveInflight('a', { packetId: 12, state: 'publish', delivery: delivery(message(3, 'z'), 1) })
      store.saveInflight('a', { packetId: 11, state: 'pubrel', delivery: delivery(message(2, 'y'), 2) })
      store.deleteInflight('a', 12)
      store.saveIncomingQos2('a', 5)
      store.saveIncomingQos2('a', 6)
      store.deleteIncomingQos2('a', 5)
      const [session] = (await (await restarted(store)).open()).sessions
      assert.deepEqual(
        session.inflight.map((record) => [record.packetId, record.state, record.delivery.message.topic]),
        [
          [10, 'publish', 'x'],
          [11, 'pubrel', 'y']
        ]
      )
      assert.deepEqual(session.incomingQos2, [6])
    }))
}

/** Retained messages, one per topic. */
function retainedTests({ test, withStore, restarted }: StoreHarness): void {
  test('retained messages keep their payload and properties; the last per topic wins; deletes stick', () =>
    withStore(async (store) => {
      store.saveRetained(message(1, 'a', 'old'))
      store.saveRetained({ ...message(2, 'a', 'new'), properties: { contentType: 'text/plain', userProperties: { k: 'v' } } })
      store.saveRetained(message(3, 'b', 'gone'))
      store.deleteRetained('b')
      const snapshot = await (await restarted(store)).open()
      assert.equal(snapshot.retained.length, 1)
      const [kept] = snapshot.retained
      assert.equal(kept.topic, 'a')
      assert.equal(kept.payload.toString(), 'new')
      assert.equal(kept.properties?.contentType, 'text/plain')
      assert.deepEqual(kept.properties?.userProperties, { k: 'v' })
      assert.ok(snapshot.lastMessageId >= 3)
    }))
}

/**
 * The next delivery of a queue, undefined when it is empty. A paged queue's `shift` returns undefined while
 * it reads the next page from disk, and calls back through `whenReadable` once it can go on.
 */
export async function nextDelivery(queue: SessionQueue): Promise<Delivery | undefined> {
  while (queue.length > 0) {
    const item = queue.shift()
    if (item !== undefined) return item
    await new Promise<void>((resolve) => queue.whenReadable(resolve))
  }
  return undefined
}

/** Everything waiting in a queue, oldest first. */
export async function drainQueue(queue: SessionQueue): Promise<Delivery[]> {
  const items: Delivery[] = []
  for (let item = await nextDelivery(queue); item !== undefined; item = await nextDelivery(queue)) items.push(item)
  return items
}

function sessionRecord(clientId: string, expiryInterval: number): SessionRecord {
  return { clientId, protocolVersion: 5, expiryInterval, disconnectedAt: 1_700_000_000_000, owner: { username: 'user-1' } }
}

function subscription(fullFilter: string, qos: QoS, subscriptionId?: number): SubscriptionRecord {
  return { fullFilter, qos, noLocal: false, retainAsPublished: false, retainHandling: 0, subscriptionId }
}

/** A message as a test writes it to a store. */
export function message(id: number, topic: string, payload = 'p'): Message {
  return {
    id,
    topic,
    payload: Buffer.from(payload),
    qos: 1,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: 1_700_000_000_000,
    origin: 'origin',
    forms: undefined
  }
}

/** A delivery of `msg` at `qos`, for store tests. */
export function delivery(msg: Message, qos: QoS): Delivery {
  return { message: msg, qos, retain: false, subscriptionIds: undefined }
}
