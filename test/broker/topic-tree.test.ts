import assert from 'node:assert/strict'
import { test } from 'node:test'
import { childOf, childrenOf, TopicTree } from '../../broker/topic-tree.js'

// The one tree of topic levels: stored filters matched by a topic name, stored topic names matched by a
// filter. The two walks must agree: filter F finds stored topic T exactly when T finds stored filter F.

const FILTERS = ['#', '+', '+/#', 'a', 'a/#', 'a/+', 'a/b', '+/b', 'a/+/c', '$SYS/#', '$SYS/+', '+/+', 'a//b', 'a/+/+']
const TOPICS = ['a', 'a/b', 'b/b', 'a/b/c', 'a/x/c', '$SYS', '$SYS/uptime', '$other/b', 'a//b', '/b']

function levels(path: string): string[] {
  return path.split('/')
}

test('matchTopic and matchFilter are the same relation seen from its two sides', () => {
  const filters = new TopicTree<string>()
  for (const filter of FILTERS) filters.set(levels(filter), filter)
  const topics = new TopicTree<string>()
  for (const topic of TOPICS) topics.set(levels(topic), topic)
  for (const topic of TOPICS) {
    for (const filter of FILTERS) {
      const byTopic = filters.matchTopic(levels(topic)).includes(filter)
      const byFilter = topics.matchFilter(levels(filter)).includes(topic)
      assert.equal(byFilter, byTopic, `${filter} against ${topic}`)
    }
  }
})

test("the spec's rules: 'a/#' matches 'a' [MQTT-4.7.1-2], a leading wildcard never matches a '$' topic [MQTT-4.7.2-1]", () => {
  const filters = new TopicTree<string>()
  for (const filter of FILTERS) filters.set(levels(filter), filter)
  assert.deepEqual(filters.matchTopic(levels('a')).sort(), ['#', '+', '+/#', 'a', 'a/#'])
  assert.deepEqual(filters.matchTopic(levels('$SYS/uptime')).sort(), ['$SYS/#', '$SYS/+'])
  assert.deepEqual(filters.matchTopic(levels('$other/b')), [])
})

test('delete removes the nodes it leaves empty, and only those', () => {
  const tree = new TopicTree<number>()
  tree.set(levels('a/b/c'), 1)
  tree.set(levels('a'), 2)
  assert.equal(tree.size, 2)
  assert.equal(tree.delete(levels('a/b')), false, 'an inner node holds no value')
  assert.equal(tree.delete(levels('a/b/c')), true)
  assert.deepEqual([...childrenOf(childOf(tree.root, 'a')!)], [])
  assert.equal(tree.get(levels('a')), 2)
  assert.equal(tree.delete(levels('a')), true)
  assert.deepEqual([...childrenOf(tree.root)], [])
  assert.equal(tree.size, 0)
})

test('a node keeps its only child alone, a few in an array, makes a Map past eight, and goes back as they leave', () => {
  const tree = new TopicTree<number>()
  tree.set(levels('site/device-1/reading'), 1)
  const site = childOf(tree.root, 'site')!
  assert.equal(site.children instanceof Map, false)
  assert.equal(Array.isArray(site.children), false)
  tree.set(levels('site/device-2/reading'), 2)
  assert.equal(site.children instanceof Map, false)
  assert.equal(Array.isArray(site.children) && site.children.length, 2)
  assert.deepEqual(tree.matchFilter(levels('site/+/reading')).sort(), [1, 2])
  for (let i = 3; i <= 9; i++) tree.set(levels(`site/device-${i}/reading`), i)
  assert.equal(site.children instanceof Map, true)
  assert.deepEqual(
    tree.matchFilter(levels('site/+/reading')).sort((a, b) => a - b),
    [1, 2, 3, 4, 5, 6, 7, 8, 9]
  )
  for (let i = 9; i >= 3; i--) assert.equal(tree.delete(levels(`site/device-${i}/reading`)), true)
  assert.equal(Array.isArray(site.children) && site.children.length, 2)
  assert.equal(tree.delete(levels('site/device-1/reading')), true)
  assert.equal(site.children instanceof Map, false)
  assert.equal(Array.isArray(site.children), false)
  assert.equal(tree.get(levels('site/device-2/reading')), 2)
  assert.deepEqual(tree.matchTopic(levels('site/device-1/reading')), [])
})
