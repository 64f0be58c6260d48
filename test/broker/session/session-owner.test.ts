import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import type { IConnectPacket } from 'mqtt-packet'
import { pino } from 'pino'
import { type AuthHooks, allowAll } from '../../../broker/auth/hooks.js'
import { LoginThrottle } from '../../../broker/auth/login-throttle.js'
import { PasswordAuth } from '../../../broker/auth/password-auth.js'
import { hashPassword, PasswordFile } from '../../../broker/auth/passwords.js'
import { Broker } from '../../../broker/broker.js'
import { brokerConfigSchema, brokerOptionsOf } from '../../../broker/config/broker-config-schema.js'
import { type BrokerOptions, resolveBrokerOptions } from '../../../broker/options.js'
import { message } from '../../../broker/store/conformance.js'
import { MemoryStore } from '../../../broker/store/memory.js'
import { SqliteStore } from '../../../broker/store/sqlite.js'
import { configFlags } from '../../../common/config/config-flags.js'
import { nextOf } from '../../helpers/flow-clients.js'
import { asConnack, connackCode, type ProtocolVersion, rawConnect, uniqueId } from '../../helpers/session-clients.js'
import { type RestartableBroker, type StoreKind, startRestartableBroker } from './restartable-broker.js'
import { expectNoPackets, leave, publishFrom } from './resume-scenario.js'

/**
 * A session belongs to the user who made it: a CONNECT of another user (or of no user, for a user's session, and
 * the reverse) never inherits it. By default it is refused with 0x87 Not authorized (3.1.1: return code 5) and
 * logged; with session_owner_mismatch: clean-start it gets a new session instead.
 */

const users = { alice: 'alice-password-1', bob: 'bob-password-2' } as const
type User = keyof typeof users

let passwordFile: Promise<PasswordFile> | undefined
function passwords(): Promise<PasswordFile> {
  passwordFile ??= (async () => {
    const lines = await Promise.all(
      Object.entries(users).map(async ([name, secret]) => `${name}:${await hashPassword(secret, { N: 1024, r: 8, p: 1 })}`)
    )
    return PasswordFile.fromText(`${lines.join('\n')}\n`)
  })()
  return passwordFile
}

interface OwnerBroker {
  broker: RestartableBroker
  /** Every log line the broker wrote, JSON text. */
  log: string[]
}

async function startOwnerBroker(t: TestContext, store: StoreKind, options: Partial<BrokerOptions> = {}): Promise<OwnerBroker> {
  const log: string[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => log.push(line) })
  const passwordAuth = new PasswordAuth({ passwords: await passwords(), throttle: new LoginThrottle(), logger })
  const auth: AuthHooks = { ...allowAll, authenticate: passwordAuth.authenticate }
  const broker = await startRestartableBroker(t, store, { options, dependencies: { auth, logger }, listen: { allowAnonymous: true } })
  return { broker, log }
}

/** A CONNECT of `user` (undefined: anonymous) for `clientId`; persistent (expiry 3600 / Clean Session 0) unless `connect` says otherwise. */
async function connectAs(
  t: TestContext,
  port: number,
  user: User | undefined,
  clientId: string,
  version: ProtocolVersion = 5,
  connect: Partial<IConnectPacket> = {}
) {
  const credentials = user === undefined ? {} : { username: user, password: Buffer.from(users[user]) }
  const persistent = version === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}
  const { client, reply } = await rawConnect(t, port, version, { clientId, clean: false, ...persistent, ...credentials, ...connect })
  const connack = asConnack(reply)
  const send = (packet: Parameters<typeof client.send>[0]) => client.send(packet, version)
  return { raw: client, connack, code: connackCode(connack, version), send }
}

/** `user` makes a persistent session for `clientId` subscribed to `<user or anonymous>/#`, and leaves. */
async function makeSession(
  t: TestContext,
  port: number,
  user: User | undefined,
  clientId: string,
  version: ProtocolVersion = 5
): Promise<string> {
  // 3.1.1 has no expiry: Clean Session 0 is what makes the session persistent.
  const owner = await connectAs(t, port, user, clientId, version, { clean: version === 5 })
  assert.equal(owner.code, 0)
  const topic = `${user ?? 'anonymous'}/secret`
  owner.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${user ?? 'anonymous'}/#`, qos: 1 }] })
  await nextOf(owner.raw, 'suback')
  await leave(owner)
  return topic
}

async function expectRefused(t: TestContext, port: number, user: User | undefined, clientId: string, version: ProtocolVersion = 5) {
  const intruder = await connectAs(t, port, user, clientId, version)
  assert.deepEqual([intruder.code, intruder.connack.sessionPresent], [version === 5 ? 0x87 : 5, false])
  assert.equal(await intruder.raw.waitClosed(), true, 'closed after the refusal')
}

for (const store of ['memory', 'sqlite'] as StoreKind[]) {
  test(`[MQTT-3.1.2-5] ${store}: Bob's CONNECT for Alice's session is refused with 0x87 and logged, over a restart; Alice then resumes it with what was queued`, async (t) => {
    const { broker, log } = await startOwnerBroker(t, store)
    const clientId = uniqueId('dev1')
    const topic = await makeSession(t, broker.port, 'alice', clientId)
    await publishFrom(t, broker.port, topic, 'for alice only', 1)
    await broker.restart() // the owner comes back from the store
    await expectRefused(t, broker.port, 'bob', clientId)
    const line = log.find((text) => text.includes('belongs to another user'))
    assert.ok(line !== undefined, 'the refusal is logged')
    assert.deepEqual([JSON.parse(line).clientId, JSON.parse(line).username, JSON.parse(line).owner], [clientId, 'bob', 'alice'])
    const alice = await connectAs(t, broker.port, 'alice', clientId)
    assert.equal(alice.connack.sessionPresent, true)
    assert.equal((await nextOf(alice.raw, 'publish')).payload.toString(), 'for alice only')
  })

  test(`[MQTT-3.1.2-5] ${store}: an anonymous session is not taken by a user, nor a user's by an anonymous client, over a restart`, async (t) => {
    const { broker } = await startOwnerBroker(t, store)
    const anonymousSession = uniqueId('anon')
    const aliceSession = uniqueId('alice')
    await makeSession(t, broker.port, undefined, anonymousSession)
    await makeSession(t, broker.port, 'alice', aliceSession)
    await broker.restart()
    await expectRefused(t, broker.port, 'alice', anonymousSession)
    await expectRefused(t, broker.port, undefined, aliceSession)
    assert.equal((await connectAs(t, broker.port, undefined, anonymousSession)).connack.sessionPresent, true)
    assert.equal((await connectAs(t, broker.port, 'alice', aliceSession)).connack.sessionPresent, true)
  })
}

test("[MQTT-3.1.2-5] 3.1.1: Bob's CONNECT for Alice's session gets return code 5 (not authorized)", async (t) => {
  const { broker } = await startOwnerBroker(t, 'memory')
  const clientId = uniqueId('dev1')
  await makeSession(t, broker.port, 'alice', clientId, 4)
  await expectRefused(t, broker.port, 'bob', clientId, 4)
  assert.equal((await connectAs(t, broker.port, 'alice', clientId, 4)).connack.sessionPresent, true)
})

test("[MQTT-3.1.4-3] Bob cannot take over Alice's live connection, not even with Clean Start 1: refused, and Alice stays connected", async (t) => {
  const { broker } = await startOwnerBroker(t, 'memory')
  const clientId = uniqueId('dev1')
  const alice = await connectAs(t, broker.port, 'alice', clientId)
  const bob = await connectAs(t, broker.port, 'bob', clientId, 5, { clean: true })
  assert.equal(bob.code, 0x87)
  alice.send({ cmd: 'pingreq' })
  assert.equal((await alice.raw.next()).cmd, 'pingresp')
  assert.equal(alice.raw.isClosed, false)
})

test("[MQTT-3.2.2-2] session_owner_mismatch clean-start: Bob gets a new session (Session Present 0) without Alice's messages; Alice's session is gone", async (t) => {
  const { broker } = await startOwnerBroker(t, 'sqlite', { sessionOwnerMismatch: 'clean-start' })
  const clientId = uniqueId('dev1')
  const topic = await makeSession(t, broker.port, 'alice', clientId)
  await publishFrom(t, broker.port, topic, 'for alice only', 1)
  await broker.restart()
  const bob = await connectAs(t, broker.port, 'bob', clientId)
  assert.deepEqual([bob.code, bob.connack.sessionPresent], [0, false])
  await expectNoPackets(bob)
  await leave(bob)
  const alice = await connectAs(t, broker.port, 'alice', clientId)
  assert.deepEqual([alice.code, alice.connack.sessionPresent], [0, false], "Bob's session is not Alice's either")
  await expectNoPackets(alice)
})

test('[MQTT-3.2.2-2] a session kept by a format 1 store has no known owner: a CONNECT for its client id starts clean, with nothing of it delivered', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'thermopost-owner-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  copyFileSync(new URL('../../../../test/broker/store/golden/v1.db', import.meta.url), join(dataDir, 'broker.db'))
  const broker = new Broker({ sysInterval: 0 }, { store: new SqliteStore({ dataDir }) })
  t.after(() => broker.close())
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  // 'panel' has two messages in flight and three queued in the golden file.
  const { client, reply } = await rawConnect(t, port, 4, { clientId: 'panel', clean: false })
  assert.deepEqual([connackCode(asConnack(reply), 4), asConnack(reply).sessionPresent], [0, false])
  await expectNoPackets({ raw: client, connack: asConnack(reply), send: (packet) => client.send(packet, 4) })
})

test('[MQTT-3.1.2-5] a stored session resumed with expiry 0 ended with its connection: a restart that finds it removes it', async (t) => {
  const store = new MemoryStore()
  store.saveSession({
    clientId: 'resumed',
    protocolVersion: 5,
    expiryInterval: 0,
    disconnectedAt: undefined,
    owner: { username: undefined }
  })
  store.queue('resumed').push({ message: message(1, 'resumed/t'), qos: 1, retain: false, subscriptionIds: undefined })
  const broker = new Broker({ sysInterval: 0 }, { store })
  t.after(() => broker.close())
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0 })
  assert.deepEqual((await store.open()).sessions, [])
  const { reply } = await rawConnect(t, port, 5, { clientId: 'resumed', clean: false })
  assert.equal(asConnack(reply).sessionPresent, false)
})

test('session_owner_mismatch is refuse or clean-start, refuse by default, in the file and as --session-owner-mismatch', () => {
  assert.equal(resolveBrokerOptions().sessionOwnerMismatch, 'refuse')
  assert.deepEqual(brokerOptionsOf(brokerConfigSchema.parse({ session_owner_mismatch: 'clean-start' })), {
    sessionOwnerMismatch: 'clean-start'
  })
  assert.equal(brokerConfigSchema.safeParse({ session_owner_mismatch: 'inherit' }).success, false)
  assert.throws(() => resolveBrokerOptions({ sessionOwnerMismatch: 'inherit' as 'refuse' }), /sessionOwnerMismatch/)
  const flags = configFlags(brokerConfigSchema, new Set())
  assert.deepEqual(flags.configFrom({ 'session-owner-mismatch': 'clean-start' }), { session_owner_mismatch: 'clean-start' })
})
