import assert from 'node:assert/strict'
import { test } from 'node:test'
import { topicMatchesFilter } from '../../common/topic-filter.js'

test('+ matches one level, # the rest and the parent level, anything else only itself', () => {
  const cases: Array<[string, string, boolean]> = [
    ['a/b/c', 'a/b/c', true],
    ['a/b/c', 'a/b', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/+/c', true],
    ['a/b/c', '+/+/+', true],
    ['a/b/c', '+/+', false],
    ['a/b', 'a/+/c', false],
    ['a', 'a/+', false],
    ['a/b/c', 'a/#', true],
    ['a', 'a/#', true],
    ['b', 'a/#', false],
    ['a/b/c', '#', true],
    ['a//c', 'a/+/c', true],
    ['/a', '+/a', true],
    ['a/b/c', 'a/+/#', true],
    ['a/b', 'a/+/#', true],
    ['A/b', 'a/b', false]
  ]
  for (const [topic, filter, matches] of cases) assert.equal(topicMatchesFilter(topic, filter), matches, `${topic} against ${filter}`)
})

test('a $ topic is not matched by a filter that starts with a wildcard, only by one that names it', () => {
  assert.equal(topicMatchesFilter('$SYS/broker/uptime', '#'), false)
  assert.equal(topicMatchesFilter('$SYS/broker/uptime', '+/broker/uptime'), false)
  assert.equal(topicMatchesFilter('$SYS/broker/uptime', '$SYS/#'), true)
  assert.equal(topicMatchesFilter('$SYS/broker/uptime', '$SYS/+/uptime'), true)
  assert.equal(topicMatchesFilter('a/$b', 'a/+'), true)
})
