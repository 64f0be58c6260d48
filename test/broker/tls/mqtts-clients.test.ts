import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Broker } from '../../../broker/broker.js'
import { TlsFileError } from '../../../broker/listeners/tls.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient, uniqueId } from '../../helpers/session-clients.js'
import { startTlsBroker, tlsOutcome } from '../../helpers/tls-broker.js'
import { makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'

/**
 * The mqtts listener with real clients: mqtt.js and Debian's mosquitto_pub / mosquitto_sub over TLS,
 * TLS 1.2 and 1.3 accepted and 1.1 refused, a plain and a TLS listener on one broker, and files that
 * cannot be used refused at start with their name.
 */

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

describe('mqtts listener', { concurrency: true }, () => {
  test('mqtt.js over mqtts: connects verifying the server certificate for 127.0.0.1, and a QoS 1 message round-trips', async (t) => {
    const { url } = await startTlsBroker(t, { cert: pki.server.cert, key: pki.server.key })
    const client = await mqttClient(t, url, { ca: pem(pki.ca) })
    const inbox = new Inbox(client)
    const topic = `tls/${uniqueId()}`
    await client.subscribeAsync(topic, { qos: 1 })
    await client.publishAsync(topic, 'over tls', { qos: 1 })
    const message = await inbox.takeOne()
    assert.equal(message.payload.toString(), 'over tls')
    assert.equal(message.packet.qos, 1)
  })

  test('mqtt.js refuses a server whose CA it does not trust (the certificate really is checked)', async (t) => {
    const { url } = await startTlsBroker(t, { cert: pki.server.cert, key: pki.server.key })
    await assert.rejects(mqttClient(t, url, { ca: pem(pki.otherCa) }), /self-signed|unable to verify|certificate/i)
  })

  test('a plain and a TLS listener on one broker share the sessions: mqtt:// publishes, mqtts:// receives', async (t) => {
    const broker = new Broker()
    t.after(() => broker.close())
    const plain = await broker.listen({ host: '127.0.0.1', port: 0 })
    const secure = await broker.listen({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: 0,
      tls: { cert: pki.server.cert, key: pki.server.key }
    })
    const subscriber = await mqttClient(t, `mqtts://127.0.0.1:${secure.port}`, { ca: pem(pki.ca) })
    const inbox = new Inbox(subscriber)
    const topic = `mixed/${uniqueId()}`
    await subscriber.subscribeAsync(topic, { qos: 1 })
    const publisher = await mqttClient(t, `mqtt://127.0.0.1:${plain.port}`, { protocolVersion: 4 })
    await publisher.publishAsync(topic, 'from tcp', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'from tcp')
  })

  test('mosquitto_pub and mosquitto_sub with --cafile connect over TLS', async (t) => {
    const { port } = await startTlsBroker(t, { cert: pki.server.cert, key: pki.server.key })
    const topic = `mosq/${uniqueId()}`
    const common = ['-h', '127.0.0.1', '-p', String(port), '--cafile', pki.ca, '-V', 'mqttv311']
    const published = await runProgram(t, 'mosquitto_pub', [...common, '-t', topic, '-m', 'retained over tls', '-r', '-q', '1'])
    assert.equal(published.code, 0, published.stderr)
    const received = await runProgram(t, 'mosquitto_sub', [...common, '-t', topic, '-C', '1', '-W', '5'])
    assert.equal(received.code, 0, received.stderr)
    assert.equal(received.stdout.trim(), 'retained over tls')
  })

  test('TLS 1.2 and 1.3 are accepted; TLS 1.1 is refused in the handshake', async (t) => {
    const { port } = await startTlsBroker(t, { cert: pki.server.cert, key: pki.server.key })
    const ca = pem(pki.ca)
    const v13 = await tlsOutcome(port, { ca })
    assert.deepEqual(v13.accepted && v13.protocol, 'TLSv1.3')
    const v12 = await tlsOutcome(port, { ca, maxVersion: 'TLSv1.2' })
    assert.deepEqual(v12.accepted && v12.protocol, 'TLSv1.2')
    // SECLEVEL=0 lets this client's OpenSSL offer TLS 1.1 at all: the refusal must come from the broker.
    const v11 = await tlsOutcome(port, { ca, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' })
    assert.equal(v11.accepted, false)
    assert.match((v11 as { code: string }).code, /PROTOCOL_VERSION/)
  })

  test('files that cannot be used refuse the listener, naming the file', async () => {
    const broker = new Broker()
    try {
      const listen = (tls: Parameters<typeof startTlsBroker>[1]): Promise<unknown> =>
        broker.listen({ protocol: 'mqtts', host: '127.0.0.1', port: 0, tls })
      const missing = `${pki.dir}/no-such.key`
      await assert.rejects(
        listen({ cert: pki.server.cert, key: missing }),
        (error: Error) => error instanceof TlsFileError && error.file === missing && error.message.includes(missing)
      )
      await assert.rejects(
        listen({ cert: pki.server.key, key: pki.server.key }),
        (error: Error) => error instanceof TlsFileError && error.message.includes(pki.server.key) && /certificate/.test(error.message)
      )
      await assert.rejects(
        listen({ cert: pki.server.cert, key: pki.client.key }),
        (error: Error) => error instanceof TlsFileError && error.message.includes(pki.client.key) && error.message.includes(pki.server.cert)
      )
      await assert.rejects(
        listen({ cert: pki.server.cert, key: pki.server.key, cafile: pki.ca, crlfile: pki.server.cert }),
        (error: Error) => error instanceof TlsFileError && error.message.includes(pki.server.cert) && /CRL/.test(error.message)
      )
      await assert.rejects(listen({ cert: pki.server.cert, key: pki.server.key, requireCertificate: true }), /need a cafile/)
    } finally {
      await broker.close()
    }
  })
})
