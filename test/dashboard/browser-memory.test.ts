import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrowserMemory } from '../../dashboard/app/browser-memory.js'

/** localStorage's interface over a Map; `full` makes every write throw, as a full or refused storage does. */
class MapStorage implements Storage {
  readonly items = new Map<string, string>()
  full = false
  get length(): number {
    return this.items.size
  }
  clear(): void {
    this.items.clear()
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
  setItem(key: string, value: string): void {
    if (this.full) throw new DOMException('full', 'QuotaExceededError')
    this.items.set(key, value)
  }
}

test('the login and the devices seen are remembered across pages of one browser, and forgotten when gone', () => {
  const storage = new MapStorage()
  const first = new BrowserMemory(storage)
  assert.equal(first.loggedIn, false)
  assert.equal(first.knowsDevice('home/kitchen'), false)
  first.loggedIn = true
  first.rememberDevices(['home/kitchen', 'home/hall'])
  const next = new BrowserMemory(storage)
  assert.equal(next.loggedIn, true)
  assert.equal(next.knowsDevice('home/kitchen'), true)
  next.forgetDevice('home/kitchen')
  next.loggedIn = false
  const third = new BrowserMemory(storage)
  assert.deepEqual([third.loggedIn, third.knowsDevice('home/kitchen'), third.knowsDevice('home/hall')], [false, false, true])
})

test('a full, damaged or missing storage only makes the browser remember less', () => {
  const storage = new MapStorage()
  storage.setItem('thermopost.knownDevices', '{not json')
  const damaged = new BrowserMemory(storage)
  assert.equal(damaged.knowsDevice('a/b'), false)
  storage.full = true
  damaged.rememberDevices(['a/b'])
  damaged.loggedIn = true
  assert.equal(damaged.knowsDevice('a/b'), true, 'still known for this page')
  assert.equal(new BrowserMemory(storage).knowsDevice('a/b'), false)
  const none = new BrowserMemory(undefined)
  none.rememberDevices(['a/b'])
  assert.equal(none.loggedIn, false)
})

test('at most 500 devices are remembered, the oldest forgotten first', () => {
  const memory = new BrowserMemory(new MapStorage())
  memory.rememberDevices(Array.from({ length: 501 }, (_, index) => `site/d${index}`))
  assert.deepEqual([memory.knowsDevice('site/d0'), memory.knowsDevice('site/d1'), memory.knowsDevice('site/d500')], [false, true, true])
})
