import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ReadAuthorizer, SubscriberIdentity } from '../../../broker/auth/hooks.js'
import type { Delivery, Message } from '../../../broker/message.js'
import { Router } from '../../../broker/router/router.js'
import type { Subscriber } from '../../../broker/router/subscription.js'
import { subscription } from '../../helpers/router-subscriptions.js'

/** How the router asks for read access: once per topic and subscriber, again after a reload or a change of user, never without an ACL. */

class CountingReads implements ReadAuthorizer {
  rulesVersion = 0
  readonly asked: string[] = []
  constructor(private readonly denied: (subscriber: SubscriberIdentity, topic: string) => boolean) {}

  authorizeRead(subscriber: SubscriberIdentity, topic: string): boolean {
    this.asked.push(`${subscriber.clientId}:${topic}`)
    return !this.denied(subscriber, topic)
  }
}

class Recording implements Subscriber {
  readonly topics: string[] = []
  readonly isConnected = true
  constructor(
    readonly clientId: string,
    public username: string | undefined
  ) {}
  deliver(delivery: Delivery): void {
    this.topics.push(delivery.message.topic)
  }
}

function message(topic: string): Message {
  return {
    id: 1,
    topic,
    payload: Buffer.from('x'),
    qos: 0,
    retain: false,
    properties: undefined,
    expiresAt: 0,
    receivedAt: 0,
    origin: 'publisher',
    forms: undefined
  }
}

test('read access is asked once per topic and subscriber, then kept with the cached match', () => {
  const reads = new CountingReads((subscriber, topic) => subscriber.username === 'bob' && topic === 't/secret')
  const router = new Router(undefined, reads)
  const alice = new Recording('a', 'alice')
  const bob = new Recording('b', 'bob')
  router.subscribe(subscription(alice, 't/#'))
  router.subscribe(subscription(bob, 't/#'))
  for (let i = 0; i < 3; i++) for (const topic of ['t/secret', 't/open']) router.route(message(topic))
  assert.deepEqual(alice.topics, ['t/secret', 't/open', 't/secret', 't/open', 't/secret', 't/open'])
  assert.deepEqual(bob.topics, ['t/open', 't/open', 't/open'])
  assert.deepEqual(reads.asked.sort(), ['a:t/open', 'a:t/secret', 'b:t/open', 'b:t/secret'])
})

test('a new rulesVersion (a reloaded ACL) or a session now held by another user asks again', () => {
  let deniedUser = 'bob'
  const reads = new CountingReads((subscriber) => subscriber.username === deniedUser)
  const router = new Router(undefined, reads)
  const session = new Recording('s', 'bob')
  router.subscribe(subscription(session, 't'))
  router.route(message('t'))
  assert.deepEqual(session.topics, [])
  deniedUser = 'carol'
  router.route(message('t'))
  assert.deepEqual(session.topics, [], 'the kept answer holds until the rules change')
  reads.rulesVersion++
  router.route(message('t'))
  assert.deepEqual(session.topics, ['t'])
  session.username = 'carol'
  router.route(message('t'))
  assert.deepEqual(session.topics, ['t'], 'judged again for the new user')
  assert.equal(reads.asked.length, 3)
})

test('a shared group skips members that may not read the message, and drops one no member may read', () => {
  const reads = new CountingReads((subscriber, topic) => !topic.startsWith(`in/${subscriber.username}/`))
  const router = new Router(undefined, reads)
  const alice = new Recording('a', 'alice')
  const bob = new Recording('b', 'bob')
  router.subscribe(subscription(alice, '$share/g/in/#'))
  router.subscribe(subscription(bob, '$share/g/in/#'))
  for (const topic of ['in/alice/1', 'in/alice/2', 'in/bob/1', 'in/carol/1', 'in/bob/2']) router.route(message(topic))
  assert.deepEqual(alice.topics, ['in/alice/1', 'in/alice/2'])
  assert.deepEqual(bob.topics, ['in/bob/1', 'in/bob/2'])
})

test('without a ReadAuthorizer (no ACL) every match is delivered and nothing is kept on it', () => {
  const router = new Router()
  const session = new Recording('s', 'bob')
  router.subscribe(subscription(session, 't/#'))
  router.route(message('t/x'))
  assert.deepEqual(session.topics, ['t/x'])
  assert.equal(router.match('t/x').sessions[0]?.readAccess, undefined)
})
