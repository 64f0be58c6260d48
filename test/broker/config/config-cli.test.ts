import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { hashPassword } from '../../../broker/auth/passwords.js'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { runProgram } from '../../helpers/run-program.js'
import { mqttClient, uniqueId } from '../../helpers/session-clients.js'
import { makeTestPki, pem } from '../../helpers/tls-certs.js'

/** `thermopost broker --config FILE`: several listeners with their own settings, flags over the file, and mistakes that stop start-up. */

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-config-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('broker --config', { concurrency: true }, () => {
  test('several listeners of each kind, each with its own settings, from one file', async (t) => {
    const dir = tempDir(t)
    const pki = makeTestPki()
    const passwordFile = join(dir, 'passwd')
    writeFileSync(passwordFile, `alice:${await hashPassword('alices-secret', { N: 1024, r: 8, p: 1 })}\n`, { mode: 0o600 })
    const config = join(dir, 'broker.yaml')
    writeFileSync(
      config,
      [
        'host: 127.0.0.1',
        'store: memory',
        `password_file: ${passwordFile}`,
        `cert: ${pki.server.cert}`,
        `key: ${pki.server.key}`,
        'listeners:',
        '  - protocol: mqtt   # local tools: no login',
        '    port: 0',
        '    allow_anonymous: true',
        '  - protocol: mqtt   # everyone else: a user and password',
        '    port: 0',
        '  - protocol: mqtts  # devices: their certificate is their login',
        '    port: 0',
        `    cafile: ${pki.ca}`,
        '    use_identity_as_username: true',
        '  - protocol: ws',
        '    port: 0',
        '    path: /live',
        '  - protocol: wss',
        '    port: 0',
        ''
      ].join('\n')
    )
    const { urls, output } = await startCliBroker(t, ['--config', config], 5)
    const [open, locked, mqtts, ws, wss] = urls as [string, string, string, string, string]
    assert.match(open, /^mqtt:\/\/127\.0\.0\.1:\d+$/)
    assert.match(ws, /^ws:\/\/127\.0\.0\.1:\d+\/live$/)
    assert.match(wss, /^wss:\/\/127\.0\.0\.1:\d+\/mqtt$/)
    assert.match(output(), /mqtts:\/\/127\.0\.0\.1:\d+ \(anonymous clients refused, certificate names the user\)/)

    const subscriber = await mqttClient(t, open)
    const topic = `config/${uniqueId()}`
    await subscriber.subscribeAsync(topic, { qos: 1 })
    const received: string[] = []
    subscriber.on('message', (_topic, payload) => received.push(payload.toString()))

    await assert.rejects(mqttClient(t, locked, { protocolVersion: 5 }), (error: Error & { code?: number }) => error.code === 0x86)
    const alice = await mqttClient(t, locked, { username: 'alice', password: 'alices-secret' })
    await alice.publishAsync(topic, 'tcp', { qos: 1 })
    const device = await mqttClient(t, mqtts, { ca: pem(pki.ca), cert: pem(pki.client.cert), key: pem(pki.client.key) })
    await device.publishAsync(topic, 'mqtts', { qos: 1 })
    await assert.rejects(mqttClient(t, ws, { protocolVersion: 5 }), (error: Error & { code?: number }) => error.code === 0x86)
    const browser = await mqttClient(t, ws, { username: 'alice', password: 'alices-secret' })
    await browser.publishAsync(topic, 'ws', { qos: 1 })
    const secureBrowser = await mqttClient(t, wss, { ca: pem(pki.ca), username: 'alice', password: 'alices-secret' })
    await secureBrowser.publishAsync(topic, 'wss', { qos: 1 })
    while (received.length < 4) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(received.sort(), ['mqtts', 'tcp', 'ws', 'wss'])
  })

  test('a flag wins over the same key in the file', async (t) => {
    const dir = tempDir(t)
    const busy = createServer()
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve))
    t.after(() => busy.close())
    const config = join(dir, 'broker.yaml')
    writeFileSync(config, `port: ${(busy.address() as AddressInfo).port}\nstore: memory\nallow_anonymous: false\n`)
    // The file's port is taken and it refuses anonymous clients: the flags move the port and let them in.
    const { urls } = await startCliBroker(t, ['--config', config, '--port', '0', '--allow-anonymous', 'true'], 1)
    const client = await mqttClient(t, urls[0]!)
    assert.equal(client.connected, true)
  })

  test('mistakes in the file stop start-up with exit 1 and FILE:LINE: key: what is wrong', async (t) => {
    const dir = tempDir(t)
    const config = join(dir, 'broker.yaml')
    writeFileSync(
      config,
      'store: memory\nlisteners:\n  - protocol: mqtts\n    port: 0\n  - protocol: mqtt\n    port: 0\n    allow_anonymous: maybe\n'
    )
    const typed = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--config', config])
    assert.equal(typed.code, 1)
    assert.equal(typed.stderr.trim(), `thermopost: ${config}:7: listeners[1].allow_anonymous: must be true or false, not 'maybe'`)

    writeFileSync(config, 'store: memory\nlisteners:\n  - protocol: mqtts\n    port: 0\n')
    const crossKey = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--config', config])
    assert.equal(crossKey.code, 1)
    assert.equal(
      crossKey.stderr.trim(),
      `thermopost: ${config}:3: listeners[0]: needs cert and key, on the listener or at the top level, for mqtts`
    )

    const missing = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--config', join(dir, 'absent.yaml')])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /absent\.yaml: cannot read the config file: ENOENT/)
  })

  test('a bad flag value names the flag and exits 2', async (t) => {
    const result = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--max-inflight', '70000'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /thermopost: --max-inflight must be at most 65535, not 70000/)
  })
})
