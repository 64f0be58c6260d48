import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import type { MqttClient } from 'mqtt'
import type { QoS } from 'mqtt-packet'
import { parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import { Broker } from '../../../broker/broker.js'
import { connectClient, goOffline } from '../../helpers/flow-clients.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient, uniqueId } from '../../helpers/session-clients.js'

/**
 * Subscriptions that overlap a deny rule are granted and each delivery is checked against the subscriber's
 * read rights (retained messages, shared groups, reloads and resumed sessions included); only a filter that
 * can match no readable topic is refused.
 */

const ACL = `
# anonymous clients: the issue's two lines, and a denied subtree
topic readwrite #
topic deny test/nosubscribe
topic deny secret/#

user admin
topic readwrite #

user alice
topic read s/#

pattern read inbox/%u/#
`

/** The same file after a reload that narrows alice's rights. */
const NARROWED = `${ACL}\nuser alice\ntopic deny s/secret\n`

interface Running {
  broker: Broker
  authorizer: AclAuthorizer
  url: string
  port: number
}

async function startAclBroker(t: TestContext): Promise<Running> {
  const authorizer = new AclAuthorizer(parseAcl(ACL, 'test.acl'), () => 0)
  const broker = new Broker({}, { auth: authorizer })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { broker, authorizer, port, url: `mqtt://127.0.0.1:${port}` }
}

/** The SUBACK codes for `filters`, refusals included (mqtt.js reports a refusal as an error carrying the SUBACK). */
function subackCodes(client: MqttClient, filters: string[], qos: QoS = 0): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos }, (error, _granted, packet) => {
      if (packet === undefined) reject(error ?? new Error('no SUBACK'))
      else resolve(packet.granted.map(Number))
    })
  })
}

/** Publishes each topic in order (payload = topic) as `admin`, who may write everywhere. */
async function publishAll(client: MqttClient, topics: string[], options: { qos?: QoS; retain?: boolean } = {}): Promise<void> {
  for (const topic of topics) await client.publishAsync(topic, topic, { qos: options.qos ?? 1, retain: options.retain ?? false })
}

/** The admin, who may write everywhere, and two users with an inbox each under `pattern read inbox/%u/#`. */
async function adminAliceBob(t: TestContext, running: Running) {
  const admin = await mqttClient(t, running.url, { username: 'admin' })
  const alice = await mqttClient(t, running.url, { username: 'alice' })
  const bob = await mqttClient(t, running.url, { username: 'bob' })
  return { admin, alice, bob, aliceInbox: new Inbox(alice), bobInbox: new Inbox(bob) }
}

async function topicsOf(inbox: Inbox, count: number): Promise<string[]> {
  return (await inbox.take(count)).map((message) => message.topic)
}

describe('ACL read checks on delivery', { concurrency: true }, () => {
  test("mosquitto_sub -t '#' beside 'topic deny test/nosubscribe': granted, and test/nosubscribe messages are skipped (spec 3.9.3)", async (t) => {
    const running = await startAclBroker(t)
    const admin = await mqttClient(t, running.url, { username: 'admin' })
    const sub = runProgram(t, 'mosquitto_sub', ['-h', '127.0.0.1', '-p', String(running.port), '-t', '#', '-v', '-C', '3', '-W', '15'], {
      timeoutMs: 20_000
    })
    let done = false
    void sub.finally(() => {
      done = true
    })
    // Pairs until it has three messages: a leak would put a test/nosubscribe line among them.
    while (!done) {
      await publishAll(admin, ['test/nosubscribe', 'test/ok'], { qos: 0 })
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const { code, stdout, stderr } = await sub
    assert.equal(code, 0, `mosquitto_sub: ${stdout}${stderr}`)
    assert.doesNotMatch(stdout + stderr, /denied/)
    assert.deepEqual(stdout.trim().split('\n'), ['test/ok test/ok', 'test/ok test/ok', 'test/ok test/ok'])
  })

  for (const version of [4, 5] as const) {
    const label = version === 5 ? '5.0' : '3.1.1'
    const refusal = version === 5 ? 0x87 : 0x80

    test(`${label}: SUBACK 0x${refusal.toString(16)} only for a filter that can match no readable topic: test/nosubscribe, secret/a/+ inside a denied subtree (spec 3.9.3)`, async (t) => {
      const running = await startAclBroker(t)
      const client = await mqttClient(t, running.url, { protocolVersion: version })
      const filters = ['test/nosubscribe', 'secret/a/+', 'secret/#', '#', 'test/+', 'test/nosubscribe/#', '+/nosubscribe']
      assert.deepEqual(await subackCodes(client, filters, 1), [refusal, refusal, refusal, 1, 1, 1, 1])
    })

    test(`${label}: a granted '#' receives every readable topic and none that a deny rule matches`, async (t) => {
      const running = await startAclBroker(t)
      const admin = await mqttClient(t, running.url, { username: 'admin' })
      const client = await mqttClient(t, running.url, { protocolVersion: version })
      const inbox = new Inbox(client)
      assert.deepEqual(await subackCodes(client, ['#'], 1), [1])
      // secret/# denies secret itself too [MQTT-4.7.1-2]; test/nosubscribe does not reach below itself.
      await publishAll(admin, ['test/nosubscribe', 'secret/a/b', 'test/ok', 'secret', 'secretary', 'test/nosubscribe/x'])
      assert.deepEqual(await topicsOf(inbox, 3), ['test/ok', 'secretary', 'test/nosubscribe/x'])
      await inbox.none()
    })

    test(`${label}: retained messages under a deny hole are not sent on SUBSCRIBE; the others are [MQTT-3.3.1-9]`, async (t) => {
      const running = await startAclBroker(t)
      const admin = await mqttClient(t, running.url, { username: 'admin' })
      await publishAll(admin, ['test/nosubscribe', 'secret/kept', 'test/kept'], { retain: true })
      const client = await mqttClient(t, running.url, { protocolVersion: version })
      const inbox = new Inbox(client)
      assert.deepEqual(await subackCodes(client, ['#'], 1), [1])
      const [message] = await inbox.take(1)
      assert.equal(message.topic, 'test/kept')
      assert.equal(message.packet.retain, true)
      await inbox.none()
      // The admin, whose rules have no hole, gets all three.
      const adminInbox = new Inbox(admin)
      assert.deepEqual(await subackCodes(admin, ['#'], 1), [1])
      assert.deepEqual((await topicsOf(adminInbox, 3)).sort(), ['secret/kept', 'test/kept', 'test/nosubscribe'])
    })
  }

  test('pattern %u: inbox/# is granted to every user and delivers only their own inbox; another inbox is refused', async (t) => {
    const running = await startAclBroker(t)
    const { admin, alice, bob, aliceInbox, bobInbox } = await adminAliceBob(t, running)
    assert.deepEqual(await subackCodes(alice, ['inbox/#', 'inbox/bob/#'], 1), [1, 0x87])
    assert.deepEqual(await subackCodes(bob, ['inbox/+/+'], 1), [1])
    await publishAll(admin, ['inbox/alice/1', 'inbox/bob/1', 'inbox/carol/1', 'inbox/alice/2'])
    assert.deepEqual(await topicsOf(aliceInbox, 2), ['inbox/alice/1', 'inbox/alice/2'])
    assert.deepEqual(await topicsOf(bobInbox, 1), ['inbox/bob/1'])
    await aliceInbox.none()
    await bobInbox.none(0)
  })

  test('a shared group hands a message to a member that may read it, and drops one no member may read (spec 4.8.2)', async (t) => {
    const running = await startAclBroker(t)
    const { admin, alice, bob, aliceInbox, bobInbox } = await adminAliceBob(t, running)
    const group = `$share/${uniqueId('g')}/inbox/#`
    assert.deepEqual(await subackCodes(alice, [group], 1), [1])
    assert.deepEqual(await subackCodes(bob, [group], 1), [1])
    await publishAll(admin, ['inbox/alice/1', 'inbox/alice/2', 'inbox/bob/1', 'inbox/carol/1', 'inbox/bob/2', 'inbox/alice/3'])
    assert.deepEqual(await topicsOf(aliceInbox, 3), ['inbox/alice/1', 'inbox/alice/2', 'inbox/alice/3'])
    assert.deepEqual(await topicsOf(bobInbox, 2), ['inbox/bob/1', 'inbox/bob/2'])
    await aliceInbox.none()
    await bobInbox.none(0)
  })

  test('a reloaded ACL changes what a connected subscriber receives, without resubscribing, narrowed and widened again', async (t) => {
    const running = await startAclBroker(t)
    const admin = await mqttClient(t, running.url, { username: 'admin' })
    const alice = await mqttClient(t, running.url, { username: 'alice' })
    const inbox = new Inbox(alice)
    assert.deepEqual(await subackCodes(alice, ['s/#'], 1), [1])
    await publishAll(admin, ['s/secret', 's/open'])
    assert.deepEqual(await topicsOf(inbox, 2), ['s/secret', 's/open'])

    running.authorizer.replace(parseAcl(NARROWED, 'test.acl'))
    await publishAll(admin, ['s/secret', 's/open'])
    assert.deepEqual(await topicsOf(inbox, 1), ['s/open'])

    running.authorizer.replace(parseAcl(ACL, 'test.acl'))
    await publishAll(admin, ['s/secret', 's/open'])
    assert.deepEqual(await topicsOf(inbox, 2), ['s/secret', 's/open'], 'the kept denial went with the old rules')
    await inbox.none()
  })

  test('a resumed persistent session whose user was narrowed while it was away gets only what the user may read now (spec 4.1)', async (t) => {
    const running = await startAclBroker(t)
    const admin = await mqttClient(t, running.url, { username: 'admin' })
    const persistent = {
      username: 'alice',
      clientId: uniqueId('resume'),
      clean: false,
      protocolVersion: 5 as const,
      properties: { sessionExpiryInterval: 300 }
    }
    const first = await connectClient(t, running.url, persistent)
    assert.deepEqual(await subackCodes(first.client, ['s/#'], 1), [1])
    await goOffline(first.client)

    running.authorizer.replace(parseAcl(NARROWED, 'test.acl'))
    await publishAll(admin, ['s/secret', 's/open'])
    const again = await connectClient(t, running.url, persistent)
    assert.equal(again.connack.sessionPresent, true)
    assert.deepEqual(await topicsOf(again.inbox, 1), ['s/open'])
    await again.inbox.none()
  })
})
