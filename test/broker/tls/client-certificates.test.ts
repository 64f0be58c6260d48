import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { pino } from 'pino'
import { parseAcl } from '../../../broker/auth/acl.js'
import { AclAuthorizer } from '../../../broker/auth/acl-auth.js'
import { LoginThrottle } from '../../../broker/auth/login-throttle.js'
import { PasswordAuth } from '../../../broker/auth/password-auth.js'
import { hashPassword, PasswordFile } from '../../../broker/auth/passwords.js'
import { Broker } from '../../../broker/broker.js'
import type { TlsSettings } from '../../../broker/listeners/tls.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient, uniqueId } from '../../helpers/session-clients.js'
import { startTlsBroker, tlsOutcome } from '../../helpers/tls-broker.js'
import { type KeyPair, makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'

/**
 * require_certificate: only certificates from the listener's CA, neither revoked (CRL) nor expired, get
 * through the handshake; use_identity_as_username: the certificate's CN is the user name the ACL and the
 * password file see, whatever the CONNECT says.
 */

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

const requiring = (): TlsSettings => ({
  cert: pki.server.cert,
  key: pki.server.key,
  cafile: pki.ca,
  crlfile: pki.crl,
  requireCertificate: true
})
const withCert = (pair: KeyPair): { ca: Buffer; cert: Buffer; key: Buffer } => ({
  ca: pem(pki.ca),
  cert: pem(pair.cert),
  key: pem(pair.key)
})

describe('client certificates', { concurrency: true }, () => {
  test('require-certificate: a good certificate is accepted; none, another CA, revoked and expired are refused in the handshake', async (t) => {
    const { port } = await startTlsBroker(t, requiring())
    const ca = pem(pki.ca)
    const good = await tlsOutcome(port, withCert(pki.client))
    assert.equal(good.accepted, true, JSON.stringify(good))

    // Node ends a handshake whose client certificate does not verify by closing the socket, with no alert
    // saying why: refused means no CONNACK, and promptly (not a timeout).
    const cases: Array<[string, Parameters<typeof tlsOutcome>[1]]> = [
      ['no certificate', { ca }],
      ['another CA', withCert(pki.otherCaClient)],
      ['revoked', withCert(pki.revoked)],
      ['expired', withCert(pki.expired)]
    ]
    for (const [name, options] of cases) {
      for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
        const outcome = await tlsOutcome(port, { ...options, maxVersion })
        assert.equal(outcome.accepted, false, `${name} over ${maxVersion} must be refused`)
        assert.notEqual((outcome as { code: string }).code, 'TIMEOUT', `${name} over ${maxVersion}`)
      }
    }
  })

  test('the CRL is what refuses the revoked certificate: without --crlfile it is accepted', async (t) => {
    const { port } = await startTlsBroker(t, { ...requiring(), crlfile: undefined })
    const outcome = await tlsOutcome(port, withCert(pki.revoked))
    assert.equal(outcome.accepted, true, JSON.stringify(outcome))
  })

  test('require-certificate: mqtt.js with a good certificate round-trips; with a revoked one it never connects', async (t) => {
    const { url } = await startTlsBroker(t, requiring())
    const client = await mqttClient(t, url, withCert(pki.client))
    const inbox = new Inbox(client)
    const topic = `cert/${uniqueId()}`
    await client.subscribeAsync(topic, { qos: 1 })
    await client.publishAsync(topic, 'signed', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'signed')
    await assert.rejects(mqttClient(t, url, withCert(pki.revoked)))
  })

  test('require-certificate: mosquitto_pub / mosquitto_sub with --cert/--key connect; without a certificate they cannot', async (t) => {
    const { port } = await startTlsBroker(t, requiring())
    const topic = `mosq-cert/${uniqueId()}`
    const common = ['-h', '127.0.0.1', '-p', String(port), '--cafile', pki.ca, '-V', 'mqttv311']
    const mine = ['--cert', pki.client.cert, '--key', pki.client.key]
    const published = await runProgram(t, 'mosquitto_pub', [...common, ...mine, '-t', topic, '-m', 'by certificate', '-r', '-q', '1'])
    assert.equal(published.code, 0, published.stderr)
    const received = await runProgram(t, 'mosquitto_sub', [...common, ...mine, '-t', topic, '-C', '1', '-W', '5'])
    assert.equal(received.code, 0, received.stderr)
    assert.equal(received.stdout.trim(), 'by certificate')
    const refused = await runProgram(t, 'mosquitto_pub', [...common, '-t', topic, '-m', 'anonymous', '-q', '1'])
    assert.notEqual(refused.code, 0)
  })

  test('use-identity-as-username: the ACL grants by the certificate CN, not by the user name the CONNECT claims', async (t) => {
    const acl = parseAcl('user alice\ntopic readwrite alice/#\n\nuser admin\ntopic readwrite #\n', 'test.acl')
    const { url } = await startTlsBroker(t, { ...requiring(), useIdentityAsUsername: true }, { auth: new AclAuthorizer(acl) })
    // The certificate says alice; the CONNECT says admin: alice's rules apply.
    const client = await mqttClient(t, url, { ...withCert(pki.client), username: 'admin', password: 'anything' })
    const inbox = new Inbox(client)
    const topic = `alice/${uniqueId()}`
    const granted = await client.subscribeAsync(topic, { qos: 1 })
    assert.deepEqual(
      granted.map((g) => g.qos),
      [1]
    )
    await assert.rejects(client.subscribeAsync('admin/x', { qos: 1 }), /Not authorized/)
    await client.publishAsync(topic, 'mine', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'mine')
    await client.subscribeAsync('alice/#', { qos: 0 })
    await client.publishAsync('admin/x', 'not mine', { qos: 1 }).then(
      () => assert.fail('a 5.0 PUBLISH to admin/x should get PUBACK 0x87'),
      (error: Error & { code?: number }) => assert.equal(error.code, 0x87)
    )
  })

  test('over wss too: the certificate CN is the user the ACL sees; without a certificate the handshake fails', async (t) => {
    const acl = parseAcl('user alice\ntopic readwrite alice/#\n', 'test.acl')
    const broker = new Broker({}, { auth: new AclAuthorizer(acl) })
    t.after(() => broker.close())
    const { port } = await broker.listen({
      protocol: 'wss',
      host: '127.0.0.1',
      port: 0,
      tls: { ...requiring(), useIdentityAsUsername: true },
      allowAnonymous: false
    })
    const url = `wss://127.0.0.1:${port}/mqtt`
    const client = await mqttClient(t, url, { ...withCert(pki.client), servername: 'localhost', username: 'admin' })
    assert.deepEqual(
      (await client.subscribeAsync(`alice/${uniqueId()}`, { qos: 1 })).map((g) => g.qos),
      [1]
    )
    await assert.rejects(client.subscribeAsync('admin/x', { qos: 1 }), /Not authorized/)
    await assert.rejects(mqttClient(t, url, { ca: pem(pki.ca), servername: 'localhost', reconnectPeriod: 0, connectTimeout: 2000 }))
  })

  test('use-identity-as-username with a password file: a certificate user needs no password; a password is not checked either', async (t) => {
    const passwords = PasswordFile.fromText(`bob:${await hashPassword('bobs-secret', { N: 1024, r: 8, p: 1 })}\n`)
    const logger = pino({ level: 'silent' })
    const authenticate = new PasswordAuth({ passwords, throttle: new LoginThrottle(), logger }).authenticate
    const { url } = await startTlsBroker(
      t,
      { ...requiring(), useIdentityAsUsername: true },
      { auth: new AclAuthorizer(parseAcl('user alice\ntopic readwrite alice/#\n', 'acl'), authenticate) }
    )
    // alice is in no password file: the verified certificate is her login.
    const bare = await mqttClient(t, url, withCert(pki.client))
    assert.equal(bare.connected, true)
    const claiming = await mqttClient(t, url, { ...withCert(pki.client), username: 'bob', password: 'wrong' })
    const granted = await claiming.subscribeAsync('alice/#', { qos: 1 })
    assert.deepEqual(
      granted.map((g) => g.qos),
      [1],
      'the session is alice, not bob'
    )
  })

  test('require-certificate without use-identity-as-username: a password file still asks for the password', async (t) => {
    const passwords = PasswordFile.fromText(`bob:${await hashPassword('bobs-secret', { N: 1024, r: 8, p: 1 })}\n`)
    const authenticate = new PasswordAuth({ passwords, throttle: new LoginThrottle(), logger: pino({ level: 'silent' }) }).authenticate
    const { url } = await startTlsBroker(
      t,
      requiring(),
      { auth: new AclAuthorizer(parseAcl('topic read #\n', 'acl'), authenticate) },
      false
    )
    await assert.rejects(mqttClient(t, url, withCert(pki.client)), (error: Error & { code?: number }) => error.code === 0x86)
    const bob = await mqttClient(t, url, { ...withCert(pki.client), username: 'bob', password: 'bobs-secret' })
    assert.equal(bob.connected, true)
  })
})
