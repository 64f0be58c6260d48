import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, type TestContext, test } from 'node:test'
import { type TLSSocket, connect as tlsConnect } from 'node:tls'
import { Broker } from '../../../broker/broker.js'
import { TlsFileError } from '../../../broker/listeners/tls.js'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient, uniqueId } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'
import { startTlsBroker, tlsOutcome } from '../../helpers/tls-broker.js'
import { type KeyPair, makeTestPki, pem, type TestPki } from '../../helpers/tls-certs.js'

/**
 * Certificates re-read without a restart (SIGHUP): new connections get the new server certificate,
 * connected clients keep theirs and keep working, and a bad file changes nothing. Also the command
 * line: `--tls-port` and friends, the mqtts:// start-up line, and SIGHUP.
 */

let pki: TestPki
before(() => {
  pki = makeTestPki()
})
after(() => pki.remove())

/** The files a listener is configured with, in a directory of their own so a test can overwrite them. */
function liveFiles(t: TestContext, from: KeyPair): KeyPair {
  const dir = mkdtempSync(join(pki.dir, 'live-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const live = { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }
  install(from, live)
  return live
}

function install(from: KeyPair, live: KeyPair): void {
  copyFileSync(from.cert, live.cert)
  copyFileSync(from.key, live.key)
}

const serialOf = (file: string): string => new X509Certificate(pem(file)).serialNumber

/** The serial of the certificate a TLS server (an https one for wss) shows a new connection. */
async function serialOfTlsServer(port: number): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem(pki.ca) })
  try {
    await once(socket, 'secureConnect')
    return socket.getPeerCertificate().serialNumber
  } finally {
    socket.destroy()
  }
}

async function serialSeenByNewClient(port: number): Promise<string> {
  const outcome = await tlsOutcome(port, { ca: pem(pki.ca) })
  assert.ok(outcome.accepted, JSON.stringify(outcome))
  return outcome.certificate.serialNumber
}

describe('certificate reload', { concurrency: true }, () => {
  test('reload swaps the server certificate for new clients; a connected client stays up and keeps working', async (t) => {
    const live = liveFiles(t, pki.server)
    const { broker, port, url } = await startTlsBroker(t, live)
    const old = await mqttClient(t, url, { ca: pem(pki.ca) })
    const inbox = new Inbox(old)
    const topic = `reload/${uniqueId()}`
    await old.subscribeAsync(topic, { qos: 1 })
    assert.equal(await serialSeenByNewClient(port), serialOf(pki.server.cert))

    install(pki.server2, live)
    await broker.reloadCertificates()
    assert.notEqual(serialOf(pki.server2.cert), serialOf(pki.server.cert))
    assert.equal(await serialSeenByNewClient(port), serialOf(pki.server2.cert))

    assert.equal(old.connected, true)
    assert.equal((old.stream as TLSSocket).getPeerCertificate().serialNumber, serialOf(pki.server.cert))
    await old.publishAsync(topic, 'still here', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'still here')
    // And a message from a client on the new certificate reaches the old one.
    const fresh = await mqttClient(t, url, { ca: pem(pki.ca) })
    await fresh.publishAsync(topic, 'from the new certificate', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'from the new certificate')
  })

  test('a wss listener reloads too: new connections get the new certificate, a connected WebSocket client stays', async (t) => {
    const live = liveFiles(t, pki.server)
    const broker = new Broker({})
    t.after(() => broker.close())
    const { port } = await broker.listen({ protocol: 'wss', host: '127.0.0.1', port: 0, tls: live })
    const url = `wss://127.0.0.1:${port}/mqtt`
    const old = await mqttClient(t, url, { ca: pem(pki.ca), servername: 'localhost' })
    const inbox = new Inbox(old)
    const topic = `reload-wss/${uniqueId()}`
    await old.subscribeAsync(topic, { qos: 1 })
    assert.equal(await serialOfTlsServer(port), serialOf(pki.server.cert))
    install(pki.server2, live)
    await broker.reloadCertificates()
    assert.equal(await serialOfTlsServer(port), serialOf(pki.server2.cert))
    const fresh = await mqttClient(t, url, { ca: pem(pki.ca), servername: 'localhost' })
    await fresh.publishAsync(topic, 'after reload', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'after reload')
    assert.equal(old.connected, true)
  })

  test('a reload with a bad file throws naming it and keeps the certificate loaded before', async (t) => {
    const live = liveFiles(t, pki.server)
    const { broker, port } = await startTlsBroker(t, live)
    writeFileSync(live.key, 'not a key\n')
    await assert.rejects(broker.reloadCertificates(), (error: Error) => error instanceof TlsFileError && error.message.includes(live.key))
    assert.equal(await serialSeenByNewClient(port), serialOf(pki.server.cert))
  })

  test('thermopost broker --tls-port: logs mqtt:// and mqtts:// lines, serves both, and SIGHUP reloads the certificate', async (t) => {
    const live = liveFiles(t, pki.server)
    const {
      child,
      output: log,
      urls
    } = await startCliBroker(
      t,
      [
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--store',
        'memory',
        '--tls-port',
        '0',
        '--cert',
        live.cert,
        '--key',
        live.key,
        '--cafile',
        pki.ca
      ],
      2
    )
    assert.deepEqual(
      urls.map((url) => url.split(':')[0]),
      ['mqtt', 'mqtts']
    )
    const [plainPort, tlsPort] = urls.map((url) => Number(new URL(url).port)) as [number, number]
    assert.notEqual(plainPort, tlsPort)
    const deadline = Date.now() + 5000
    const output = (): string => log()
    assert.equal(output().match(/mqtt:\/\/127\.0\.0\.1:/g)?.length, 1, 'the plain listener line is unchanged and once')

    const subscriber = await mqttClient(t, `mqtts://127.0.0.1:${tlsPort}`, { ca: pem(pki.ca) })
    const inbox = new Inbox(subscriber)
    const topic = `cli-tls/${uniqueId()}`
    await subscriber.subscribeAsync(topic, { qos: 1 })
    const publisher = await mqttClient(t, `mqtt://127.0.0.1:${plainPort}`)
    await publisher.publishAsync(topic, 'plain to tls', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'plain to tls')

    install(pki.server2, live)
    child.kill('SIGHUP')
    const wanted = serialOf(pki.server2.cert)
    while ((await serialSeenByNewClient(tlsPort)) !== wanted) {
      assert.ok(Date.now() < deadline + 5000, `still the old certificate after SIGHUP; output: ${output()}`)
      await sleep(50)
    }
    assert.match(output(), /TLS certificates reloaded/)
    assert.equal(subscriber.connected, true)
    await publisher.publishAsync(topic, 'after SIGHUP', { qos: 1 })
    assert.equal((await inbox.takeOne()).payload.toString(), 'after SIGHUP')
  })

  test('thermopost broker: TLS flags without --tls-port, or a missing key file, stop start-up with a message', async (t) => {
    const runCli = async (args: string[]): Promise<{ code: number | null; output: string }> => {
      const { code, stdout, stderr } = await runProgram(t, process.execPath, [
        thermopostBin,
        'broker',
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--store',
        'memory',
        ...args
      ])
      return { code, output: stdout + stderr }
    }
    const stray = await runCli(['--cert', pki.server.cert])
    assert.notEqual(stray.code, 0)
    assert.match(stray.output, /--cert is for TLS listeners: add tls_port, wss_port or a listener with protocol mqtts or wss/)
    const missing = join(pki.dir, 'missing.key')
    const noKey = await runCli(['--tls-port', '0', '--cert', pki.server.cert, '--key', missing])
    assert.notEqual(noKey.code, 0)
    assert.ok(noKey.output.includes(missing), noKey.output)
    const noCa = await runCli(['--tls-port', '0', '--cert', pki.server.cert, '--key', pki.server.key, '--require-certificate'])
    assert.notEqual(noCa.code, 0)
    assert.match(noCa.output, /cafile/)
  })
})
