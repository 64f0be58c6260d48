import assert from 'node:assert/strict'
import { describe, type TestContext, test } from 'node:test'
import type { MqttClient } from 'mqtt'
import type { IConnectPacket, QoS } from 'mqtt-packet'
import { parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import type { AuthHooks } from '../../../broker/auth/hooks.js'
import { Broker } from '../../../broker/broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient, rawSession, uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

/**
 * The ACL in a running broker, with mqtt.js clients over 3.1.1 and 5.0: refused SUBSCRIBEs and PUBLISHes
 * get their reason codes and route nothing, wills are checked when they would go out, and `$SYS` reaches
 * only the users granted it.
 */

const ACL = `
# anonymous clients: read the public topics
topic read public/#

user alice
topic readwrite alice/#
topic deny alice/secret
topic write wills/alice

user admin
topic read $SYS/#
topic read #

user reader
topic read #

pattern readwrite devices/%c/#
pattern write wills/%c
`

/** Stands in for the password file: every user name is accepted, as who it says it is. */
const acceptAnyone: AuthHooks['authenticate'] = () => 0

interface Running {
  broker: Broker
  port: number
  url: string
}

async function startAclBroker(t: TestContext): Promise<Running> {
  const broker = new Broker({ sysInterval: 1 }, { auth: new AclAuthorizer(parseAcl(ACL, 'test.acl'), acceptAnyone) })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return { broker, port, url: `mqtt://127.0.0.1:${port}` }
}

/** An admin client that sees every non-$ message: what a refused publish must not reach. */
async function watchAll(t: TestContext, running: Running): Promise<Inbox> {
  const admin = await mqttClient(t, running.url, { username: 'admin' })
  const inbox = new Inbox(admin)
  assert.deepEqual(await subackCodes(admin, ['#'], 1), [1])
  return inbox
}

/** The SUBACK codes for `filters`, refusals included (mqtt.js reports a refusal as an error carrying the SUBACK). */
function subackCodes(client: MqttClient, filters: string[], qos: QoS): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(filters, { qos }, (error, _granted, packet) => {
      if (packet === undefined) reject(error ?? new Error('no SUBACK'))
      else resolve(packet.granted.map(Number))
    })
  })
}

/** The 5.0 reason code of a PUBACK / PUBREC that mqtt.js turned into an error; undefined when it succeeded. */
async function publishCode(client: MqttClient, topic: string, payload: string, qos: QoS): Promise<number | undefined> {
  try {
    await client.publishAsync(topic, payload, { qos })
    return undefined
  } catch (error) {
    return (error as { code?: number }).code
  }
}

describe('ACL in the broker', { concurrency: true }, () => {
  for (const version of [4, 5] as const) {
    const label = version === 5 ? '5.0' : '3.1.1'
    const refusal = version === 5 ? 0x87 : 0x80

    test(`${label}: a denied SUBSCRIBE gets 0x${refusal.toString(16)}; the granted one in the same packet its QoS`, async (t) => {
      const running = await startAclBroker(t)
      const alice = await mqttClient(t, running.url, { protocolVersion: version, username: 'alice' })
      // alice/# overlaps `deny alice/secret`: granted, delivery checks each message; alice/secret itself can deliver nothing.
      assert.deepEqual(await subackCodes(alice, ['alice/+/x', 'bob/#', 'alice/#', '$SYS/#', 'alice/secret'], 1), [
        1,
        refusal,
        1,
        refusal,
        refusal
      ])
      const anonymous = await mqttClient(t, running.url, { protocolVersion: version })
      // '#' reaches public/#, which anonymous clients read; alice/x is none of theirs.
      assert.deepEqual(await subackCodes(anonymous, ['public/#', 'public', 'alice/x', '#'], 2), [2, 2, refusal, 2])
    })

    test(`${label}: a denied QoS 1 PUBLISH is acknowledged ${version === 5 ? 'with PUBACK 0x87' : 'plainly'} and not delivered`, async (t) => {
      const running = await startAclBroker(t)
      const inbox = await watchAll(t, running)
      const alice = await mqttClient(t, running.url, { protocolVersion: version, username: 'alice' })
      const dropped = running.broker.stats.messagesDropped
      assert.equal(await publishCode(alice, 'bob/x', 'not hers', 1), version === 5 ? 0x87 : undefined)
      assert.equal(await publishCode(alice, 'alice/secret', 'denied', 1), version === 5 ? 0x87 : undefined)
      assert.equal(await publishCode(alice, 'alice/ok', 'hers', 1), undefined)
      const message = await inbox.takeOne()
      assert.equal(message.topic, 'alice/ok')
      await inbox.none()
      assert.equal(running.broker.stats.messagesDropped, dropped + 2)
    })

    test(`${label}: a denied QoS 0 PUBLISH is dropped and counted`, async (t) => {
      const running = await startAclBroker(t)
      const inbox = await watchAll(t, running)
      const anonymous = await mqttClient(t, running.url, { protocolVersion: version })
      const dropped = running.broker.stats.messagesDropped
      await anonymous.publishAsync('public/news', 'anonymous clients only read public/#', { qos: 0 })
      await anonymous.publishAsync(`devices/${anonymous.options.clientId}/temp`, '21.5', { qos: 0 })
      const message = await inbox.takeOne()
      assert.equal(message.topic, `devices/${anonymous.options.clientId}/temp`, 'the pattern devices/%c/# grants it')
      await inbox.none()
      assert.equal(running.broker.stats.messagesDropped, dropped + 1)
    })

    test(`${label}: a will to a denied topic is not published; one to a granted topic is`, async (t) => {
      const running = await startAclBroker(t)
      const inbox = await watchAll(t, running)
      const will = (topic: string): NonNullable<IConnectPacket['will']> => ({ topic, payload: Buffer.from('gone'), qos: 1, retain: false })
      const dropped = running.broker.stats.messagesDropped
      const denied = await rawSession(t, running.port, version, { will: will('alice/status') })
      denied.client.destroy()
      await inbox.none()
      assert.equal(running.broker.stats.messagesDropped, dropped + 1)
      const clientId = uniqueId('w')
      const granted = await rawSession(t, running.port, version, { clientId, will: will(`wills/${clientId}`) })
      granted.client.destroy()
      assert.equal((await inbox.takeOne()).topic, `wills/${clientId}`)
    })

    // The will goes out after the connection is gone: the session keeps the user name for this check.
    test(`${label}: a user's will is judged by that user's rules`, async (t) => {
      const running = await startAclBroker(t)
      const inbox = await watchAll(t, running)
      const { client } = await rawSession(t, running.port, version, {
        username: 'alice',
        will: { topic: 'wills/alice', payload: Buffer.from('gone'), qos: 0, retain: false }
      })
      client.destroy()
      assert.equal((await inbox.takeOne(1000)).topic, 'wills/alice')
    })

    test(`${label}: $SYS reaches only a user granted it; '#' does not grant it`, async (t) => {
      const running = await startAclBroker(t)
      const admin = await mqttClient(t, running.url, { protocolVersion: version, username: 'admin' })
      const adminInbox = new Inbox(admin)
      assert.deepEqual(await subackCodes(admin, ['$SYS/broker/version', '$SYS/#'], 0), [0, 0])
      assert.match((await adminInbox.takeOne(2500)).topic, /^\$SYS\//)

      const reader = await mqttClient(t, running.url, { protocolVersion: version, username: 'reader' })
      const readerInbox = new Inbox(reader)
      assert.deepEqual(await subackCodes(reader, ['$SYS/#', '$SYS/broker/version', '#', '+/broker/version'], 0), [refusal, refusal, 0, 0])
      const anonymous = await mqttClient(t, running.url, { protocolVersion: version })
      assert.deepEqual(await subackCodes(anonymous, ['$SYS/broker/version'], 0), [refusal])
      await sleep(1500) // more than one $SYS refresh (sysInterval 1)
      await readerInbox.none(0)
    })
  }
})
