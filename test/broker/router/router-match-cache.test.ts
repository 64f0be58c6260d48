import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FilterListener } from '../../../broker/router/message-router.js'
import { type MatchResult, Router } from '../../../broker/router/router.js'
import { subscriber, subscription } from '../../helpers/router-subscriptions.js'

// The router caches who matches each topic that someone subscribes to; a SUBSCRIBE or UNSUBSCRIBE must drop exactly
// the cached topics its filter matches: those get the change, every other cached entry stays as it was. A topic that
// matches nothing is not cached, and every such topic gets the same empty result, so the tests below tell a kept
// entry from a new one by topics that match someone.

function receivers(result: MatchResult): string[] {
  return [...result.sessions.map((match) => match.session.clientId), ...result.groups.map((group) => `$share/${group.group}`)].sort()
}

test('a wildcard subscription reaches the cached topics it matches and leaves the others cached as they were', () => {
  const router = new Router()
  const alice = subscriber('alice')
  router.subscribe(subscription(alice, 'site/+/temperature'))
  router.subscribe(subscription(subscriber('ops'), '$SYS/#'))
  const kitchen = router.match('site/kitchen/temperature')
  const humidity = router.match('site/kitchen/humidity')
  const system = router.match('$SYS/broker/uptime')
  assert.deepEqual(receivers(kitchen), ['alice'])
  assert.deepEqual(receivers(humidity), [])
  assert.deepEqual(receivers(system), ['ops'])

  const bob = subscriber('bob')
  const everything = subscription(bob, 'site/#')
  router.subscribe(everything)
  assert.deepEqual(receivers(router.match('site/kitchen/temperature')), ['alice', 'bob'])
  assert.deepEqual(receivers(router.match('site/kitchen/humidity')), ['bob'])
  assert.equal(router.match('$SYS/broker/uptime'), system, 'a topic site/# cannot match keeps its cached result')

  const cachedKitchen = router.match('site/kitchen/temperature')
  router.unsubscribe(everything)
  assert.deepEqual(receivers(router.match('site/kitchen/temperature')), ['alice'])
  assert.notEqual(router.match('site/kitchen/temperature'), cachedKitchen)
  assert.deepEqual(receivers(router.match('site/kitchen/humidity')), [])
  assert.equal(router.match('$SYS/broker/uptime'), system)
})

test('a subscription without wildcards drops only its own topic from the cache', () => {
  const router = new Router()
  const dan = subscriber('dan')
  router.subscribe(subscription(dan, 'site/+/temperature'))
  router.subscribe(subscription(dan, 'site'))
  const kitchen = router.match('site/kitchen/temperature')
  const hall = router.match('site/hall/temperature')
  const parent = router.match('site')
  const carol = subscriber('carol')
  const exact = subscription(carol, 'site/kitchen/temperature')

  router.subscribe(exact)
  assert.deepEqual(receivers(router.match('site/kitchen/temperature')), ['carol', 'dan'])
  assert.notEqual(router.match('site/kitchen/temperature'), kitchen)
  assert.equal(router.match('site/hall/temperature'), hall)
  assert.equal(router.match('site'), parent)

  router.unsubscribe(exact)
  assert.deepEqual(receivers(router.match('site/kitchen/temperature')), ['dan'])
  assert.equal(router.match('site/hall/temperature'), hall)
})

test("'a/#' reaches the cached topic 'a' itself, '#' leaves cached '$' topics alone, shared groups count too", () => {
  const router = new Router()
  router.subscribe(subscription(subscriber('ops'), '$SYS/broker/uptime'))
  const parent = router.match('site')
  const system = router.match('$SYS/broker/uptime')
  router.subscribe(subscription(subscriber('dave'), 'site/#')) // [MQTT-4.7.1-2]
  assert.deepEqual(receivers(router.match('site')), ['dave'])
  assert.notEqual(router.match('site'), parent)

  router.subscribe(subscription(subscriber('erin'), '#')) // [MQTT-4.7.2-1]
  assert.equal(router.match('$SYS/broker/uptime'), system)
  assert.deepEqual(receivers(router.match('site')), ['dave', 'erin'])

  const shared = subscription(subscriber('frank'), '$share/workers/site/+')
  router.subscribe(shared)
  assert.deepEqual(receivers(router.match('site/x')), ['$share/workers', 'dave', 'erin'])
  router.unsubscribe(shared)
  assert.deepEqual(receivers(router.match('site/x')), ['dave', 'erin'])
})

test('a topic that matched nothing is matched afresh: a later subscription reaches it, and it matches nothing once that goes', () => {
  const router = new Router()
  const nobody = router.match('site/cellar/temperature')
  assert.deepEqual(receivers(nobody), [])
  assert.equal(router.match('site/attic/humidity'), nobody, 'every topic no one subscribes to gets the one empty result')

  const wildcard = subscription(subscriber('gina'), 'site/+/temperature')
  router.subscribe(wildcard)
  assert.deepEqual(receivers(router.match('site/cellar/temperature')), ['gina'])
  const exact = subscription(subscriber('hugo'), 'site/attic/humidity')
  router.subscribe(exact)
  assert.deepEqual(receivers(router.match('site/attic/humidity')), ['hugo'])

  router.unsubscribe(wildcard)
  router.unsubscribe(exact)
  assert.deepEqual(receivers(router.match('site/cellar/temperature')), [])
  assert.deepEqual(receivers(router.match('site/attic/humidity')), [])
})

test('the filter listener hears of a filter when its first subscriber comes and its last one goes', () => {
  const heard: string[] = []
  const listener: FilterListener = {
    filterAdded: (filter) => heard.push(`+${filter}`),
    filterRemoved: (filter) => heard.push(`-${filter}`)
  }
  const router = new Router(listener)
  const alice = subscription(subscriber('alice'), 'site/+/temperature')
  const bob = subscription(subscriber('bob'), 'site/+/temperature')
  const shared = subscription(subscriber('carol'), '$share/g/site/+/temperature')
  router.subscribe(alice)
  router.subscribe(bob)
  router.subscribe(shared)
  router.unsubscribe(alice)
  router.unsubscribe(shared)
  assert.deepEqual(heard, ['+site/+/temperature'])
  router.unsubscribe(bob)
  assert.deepEqual(heard, ['+site/+/temperature', '-site/+/temperature'])
})
