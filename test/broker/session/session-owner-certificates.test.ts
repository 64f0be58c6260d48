import assert from 'node:assert/strict'
import { after, before, type TestContext, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import type { IConnackPacket } from 'mqtt-packet'
import type { TlsSettings } from '../../../broker/listeners/tls.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { endQuietly, uniqueId } from '../../helpers/session-clients.js'
import { type KeyPair, makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'
import { startRestartableBroker } from './restartable-broker.js'

/**
 * On a use_identity_as_username listener the certificate names the user, and so the owner of the sessions it makes:
 * another certificate's CONNECT for the same client id is refused, over a restart on the SQLite store.
 */

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

/** CN alice, and CN mallory (revoked, but this listener has no CRL: just another trusted user). */
const tlsSettings = (): TlsSettings => ({
  cert: pki.server.cert,
  key: pki.server.key,
  cafile: pki.ca,
  requireCertificate: true,
  useIdentityAsUsername: true
})

type Outcome = { connack: IConnackPacket; client: MqttClient; inbox: Inbox } | { refusedWith: number }

/** mqtt.js over TLS with `pair`'s certificate: a persistent 5.0 session for `clientId`. */
function connectWith(t: TestContext, port: number, pair: KeyPair, clientId: string): Promise<Outcome> {
  const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, {
    protocolVersion: 5,
    clientId,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    reconnectPeriod: 0,
    connectTimeout: 3000,
    ca: pem(pki.ca),
    cert: pem(pair.cert),
    key: pem(pair.key)
  })
  const inbox = new Inbox(client)
  t.after(() => endQuietly(client))
  return new Promise((resolve, reject) => {
    client.once('connect', (connack) => resolve({ connack, client, inbox }))
    client.once('error', (error) => {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'number') resolve({ refusedWith: code })
      else reject(error)
    })
  })
}

/** The outcome of a CONNECT that must have been accepted. */
function accepted(outcome: Outcome): Exclude<Outcome, { refusedWith: number }> {
  if ('refusedWith' in outcome) assert.fail(`refused with 0x${outcome.refusedWith.toString(16)}`)
  return outcome
}

test('[MQTT-3.1.2-5] use-identity-as-username: a session made with the certificate of alice is refused (0x87) to the certificate of mallory, over a restart on the SQLite store', async (t) => {
  const broker = await startRestartableBroker(t, 'sqlite', { listen: { protocol: 'mqtts', tls: tlsSettings() } })
  const clientId = uniqueId('dev1')
  const first = accepted(await connectWith(t, broker.port, pki.client, clientId))
  await first.client.subscribeAsync('alice/#', { qos: 1 })
  await first.client.endAsync()
  await broker.restart()

  assert.deepEqual(await connectWith(t, broker.port, pki.revoked, clientId), { refusedWith: 0x87 })

  const again = accepted(await connectWith(t, broker.port, pki.client, clientId))
  assert.equal(again.connack.sessionPresent, true)
})

test('[MQTT-3.1.2-5] use-identity-as-username: what was queued for alice reaches the certificate of alice only', async (t) => {
  const broker = await startRestartableBroker(t, 'memory', { listen: { protocol: 'mqtts', tls: tlsSettings() } })
  const clientId = uniqueId('dev1')
  const first = accepted(await connectWith(t, broker.port, pki.client, clientId))
  await first.client.subscribeAsync('alice/#', { qos: 1 })
  await first.client.endAsync()
  const publisher = accepted(await connectWith(t, broker.port, pki.client, uniqueId('pub')))
  await publisher.client.publishAsync('alice/secret', 'for alice only', { qos: 1 })
  await publisher.client.endAsync()

  assert.deepEqual(await connectWith(t, broker.port, pki.revoked, clientId), { refusedWith: 0x87 })
  const again = accepted(await connectWith(t, broker.port, pki.client, clientId))
  assert.equal((await again.inbox.takeOne()).payload.toString(), 'for alice only')
})
