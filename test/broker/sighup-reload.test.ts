import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { connect as tlsConnect } from 'node:tls'
import type { IConnackPacket } from 'mqtt-packet'
import { hashPassword } from '../../broker/auth/passwords.js'
import { LegacyConnackCode } from '../../broker/protocol/reason-codes.js'
import { startCliBroker } from '../helpers/cli-broker.js'
import { Inbox } from '../helpers/mqtt-inbox.js'
import { mqttClient, rawConnect } from '../helpers/session-clients.js'
import { sleep } from '../helpers/silence.js'
import { makeTestPki, pem } from '../helpers/tls-certs.js'

/**
 * One SIGHUP to `thermopost broker` re-reads all three kinds of file it was started with: the password file (a user
 * added), the ACL file (a right granted) and the TLS listener's certificate and key (another certificate served),
 * without dropping the clients connected before it.
 */

/** A cheap scrypt cost: the test is about reloading, not about hashing. */
const COST = { N: 1024, r: 8, p: 1 }

async function passwordLine(user: string, password: string): Promise<string> {
  return `${user}:${await hashPassword(password, COST)}\n`
}

/** The serial number of the certificate a new TLS connection to the port is shown. */
async function servedSerial(port: number, ca: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: pem(ca) })
  try {
    await once(socket, 'secureConnect')
    return socket.getPeerCertificate().serialNumber
  } finally {
    socket.destroy()
  }
}

test('SIGHUP reloads the password file, the ACL file and the TLS certificate together; connected clients stay', async (t) => {
  const pki = makeTestPki()
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-sighup-'))
  t.after(() => {
    rmSync(dir, { recursive: true, force: true })
    pki.remove()
  })
  const files = { passwords: join(dir, 'passwords'), acl: join(dir, 'acl'), cert: join(dir, 'server.crt'), key: join(dir, 'server.key') }
  writeFileSync(files.passwords, await passwordLine('alice', 'alice-secret'), { mode: 0o600 })
  writeFileSync(files.acl, 'user alice\ntopic readwrite a/#\n')
  copyFileSync(pki.server.cert, files.cert)
  copyFileSync(pki.server.key, files.key)
  const { child, output, urls } = await startCliBroker(
    t,
    // biome-ignore format: flag and value side by side
    ['--host', '127.0.0.1', '--port', '0', '--store', 'memory', '--password-file', files.passwords, '--acl-file', files.acl,
      '--tls-port', '0', '--cert', files.cert, '--key', files.key],
    2
  )
  const [plain, tls] = urls as [string, string]
  const tlsPort = Number(new URL(tls).port)
  const alice = { username: 'alice', password: 'alice-secret' }
  const bob = { username: 'bob', password: 'bob-secret' }

  // Before: bob is unknown, alice may not use b/#, and the first certificate is served.
  const { reply } = await rawConnect(t, Number(new URL(plain).port), 4, { username: 'bob', password: Buffer.from('bob-secret') })
  assert.equal((reply as IConnackPacket).returnCode, LegacyConnackCode.BadUsernameOrPassword, 'bob is refused before the reload')
  const before = await mqttClient(t, plain, alice)
  await assert.rejects(before.subscribeAsync('b/#', { qos: 1 }), /Not authorized/, 'b/# refused to alice before the reload')
  assert.equal(await servedSerial(tlsPort, pki.ca), new X509Certificate(pem(pki.server.cert)).serialNumber)

  writeFileSync(files.passwords, (await passwordLine('alice', 'alice-secret')) + (await passwordLine('bob', 'bob-secret')))
  writeFileSync(files.acl, 'user alice\ntopic readwrite a/#\ntopic readwrite b/#\nuser bob\ntopic write b/#\n')
  copyFileSync(pki.server2.cert, files.cert)
  copyFileSync(pki.server2.key, files.key)
  child.kill('SIGHUP')
  const deadline = Date.now() + 10_000
  for (const line of [/password file reloaded/, /ACL file reloaded/, /TLS certificates reloaded/]) {
    while (!line.test(output())) {
      assert.ok(Date.now() < deadline, `no ${line} in the log: ${output()}`)
      await sleep(50)
    }
  }

  // After: bob logs in and may publish to b/#, alice may read it, the second certificate is served; alice's first
  // connection was never dropped.
  assert.equal(await servedSerial(tlsPort, pki.ca), new X509Certificate(pem(pki.server2.cert)).serialNumber)
  const reader = await mqttClient(t, tls, { ...alice, ca: pem(pki.ca), servername: 'localhost' })
  const inbox = new Inbox(reader)
  const [granted] = await reader.subscribeAsync('b/#', { qos: 1 })
  assert.equal(granted!.qos, 1)
  const writer = await mqttClient(t, plain, bob)
  await writer.publishAsync('b/news', 'after SIGHUP', { qos: 1 })
  assert.equal((await inbox.takeOne()).payload.toString(), 'after SIGHUP')
  assert.equal(before.connected, true)
})
