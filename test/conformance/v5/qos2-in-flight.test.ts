import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import { Broker } from '../../../broker/broker.js'
import { startBroker } from '../../helpers/broker.js'
import { connectClient, connectRaw, nextOf, rawSubscribe } from '../../helpers/flow-clients.js'
import { persistentSession } from '../../helpers/persistent-session.js'
import { uniqueId } from '../../helpers/session-clients.js'
import { expectSilence, sleep } from '../../helpers/silence.js'

/** MQTT 5.0 QoS 2 in flight: Message Expiry, a refused PUBREC, and shared subscriptions when the member goes away. */

/** A broker whose ACL lets anonymous clients use open/# and nothing else. */
async function startOpenOnlyBroker(t: TestContext): Promise<number> {
  const broker = new Broker({}, { auth: new AclAuthorizer(parseAcl('topic readwrite open/#\n', 'open-only.acl'), () => 0) })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  t.after(() => broker.close())
  return port
}

test('a QoS 2 message already sent is not expired: after its Message Expiry it is still resent on resume [MQTT-4.3.3-7]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('q2exp')
  const sub = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'q2exp/t', qos: 2 }]), [2])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('q2exp/t', 'sent once', { qos: 2, properties: { messageExpiryInterval: 1 } })
  const first = await nextOf(sub.raw, 'publish')
  sub.raw.destroy() // no PUBREC
  await sleep(1500)

  const resumed = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  const again = await nextOf(resumed.raw, 'publish')
  assert.deepEqual([again.payload.toString(), again.dup, again.messageId], ['sent once', true, first.messageId])
})

test('after a PUBREC of 0x87 the same packet id is a new message: accepted, then delivered after PUBREL [MQTT-4.3.3-9]', async (t) => {
  const port = await startOpenOnlyBroker(t)
  const sub = await connectRaw(t, port, 5)
  assert.deepEqual(await rawSubscribe(sub, [{ topic: 'open/#', qos: 2 }]), [2])
  const pub = await connectRaw(t, port, 5)
  pub.send({ cmd: 'publish', topic: 'closed/t', payload: Buffer.from('denied'), qos: 2, messageId: 7, dup: false, retain: false })
  const refused = await nextOf(pub.raw, 'pubrec')
  assert.deepEqual([refused.messageId, refused.reasonCode], [7, 0x87])
  pub.send({ cmd: 'publish', topic: 'open/t', payload: Buffer.from('allowed'), qos: 2, messageId: 7, dup: false, retain: false })
  const pubrec = await nextOf(pub.raw, 'pubrec')
  assert.deepEqual([pubrec.messageId, pubrec.reasonCode ?? 0], [7, 0])
  pub.send({ cmd: 'pubrel', messageId: 7 })
  assert.equal((await nextOf(pub.raw, 'pubcomp')).messageId, 7)
  const got = await nextOf(sub.raw, 'publish')
  assert.deepEqual([got.topic, got.payload.toString()], ['open/t', 'allowed'])
})

test('a QoS 2 message to a shared member whose connection broke is completed with that member when it reconnects [MQTT-4.8.2-4]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const clientId = uniqueId('member')
  const member = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  assert.deepEqual(await rawSubscribe(member, [{ topic: '$share/g/s2/t', qos: 2 }]), [2])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('s2/t', 'finish me', { qos: 2 })
  const first = await nextOf(member.raw, 'publish')
  member.send({ cmd: 'pubrec', messageId: first.messageId! })
  await nextOf(member.raw, 'pubrel')
  member.raw.destroy() // no PUBCOMP

  const back = await connectRaw(t, broker.port, 5, persistentSession(clientId))
  const pubrel = await nextOf(back.raw, 'pubrel')
  assert.equal(pubrel.messageId, first.messageId)
  back.send({ cmd: 'pubcomp', messageId: pubrel.messageId! })
  await expectSilence(back.raw)
})

test('a QoS 2 message to a shared member whose session ends before it returns goes to no other member [MQTT-4.8.2-5]', async (t) => {
  const broker = await startBroker()
  t.after(() => broker.close())
  const member = await connectRaw(t, broker.port, 5, persistentSession(uniqueId('leaver'), 1))
  assert.deepEqual(await rawSubscribe(member, [{ topic: '$share/g/s5/t', qos: 2 }]), [2])
  const pub = await connectClient(t, broker.url, { protocolVersion: 5 })
  await pub.client.publishAsync('s5/t', 'only for the first', { qos: 2 })
  await nextOf(member.raw, 'publish')
  const other = await connectRaw(t, broker.port, 5)
  assert.deepEqual(await rawSubscribe(other, [{ topic: '$share/g/s5/t', qos: 2 }]), [2])
  member.raw.destroy() // no PUBREC; the session expires 1 s later
  await sleep(1500)
  await expectSilence(other.raw)
})
