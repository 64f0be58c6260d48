import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { pino } from 'pino'
import { type AuthHooks, allowAll } from '../../../broker/auth/hooks.js'
import { LoginThrottle, type LoginThrottleOptions } from '../../../broker/auth/login-throttle.js'
import { PasswordAuth } from '../../../broker/auth/password-auth.js'
import { hashPassword, PasswordFile } from '../../../broker/auth/passwords.js'
import { Broker } from '../../../broker/broker.js'
import { RawClient } from '../../helpers/raw-client.js'
import { runProgram } from '../../helpers/run-program.js'
import {
  asConnack,
  connackCode,
  connectPacket,
  mqttClient,
  type ProtocolVersion,
  rawConnect,
  uniqueId
} from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

/**
 * Logging in against a password file, end to end: mqtt.js, raw CONNECTs and mosquitto_pub against an
 * in-process broker; a file made by Debian's mosquitto_passwd; throttling on a simulated clock; the log.
 */

const password = 'Tr0ub4dor&3-secret'
const user = 'sensor-7'

interface Setup {
  port: number
  url: string
  /** Every log line the broker wrote, JSON text. */
  log: string[]
  /** The holds the throttle asked for, in ms, in order. */
  holds: number[]
}

async function startAuthBroker(
  t: TestContext,
  passwords: PasswordFile,
  options: {
    throttle?: Partial<LoginThrottleOptions>
    allowAnonymous?: boolean
    sleep?: (ms: number) => Promise<void>
  } = {}
): Promise<Setup> {
  const log: string[] = []
  const holds: number[] = []
  const logger = pino(
    { level: 'trace' },
    {
      write: (line: string) => {
        log.push(line)
      }
    }
  )
  // A simulated clock that a hold moves forward: holds are asserted exactly, and nobody waits for them.
  const clock = { now: 1_000_000 }
  const throttle = new LoginThrottle({ now: () => clock.now, ...options.throttle })
  const hold =
    options.sleep ??
    (async (ms: number) => {
      clock.now += ms
    })
  const passwordAuth = new PasswordAuth({
    passwords,
    throttle,
    logger,
    sleep: (ms) => {
      holds.push(ms)
      return hold(ms)
    }
  })
  const auth: AuthHooks = { ...allowAll, authenticate: passwordAuth.authenticate }
  const broker = new Broker({}, { auth, logger })
  const { port } = await broker.listen({ host: '127.0.0.1', port: 0, allowAnonymous: options.allowAnonymous ?? false })
  t.after(() => broker.close())
  return { port, url: `mqtt://127.0.0.1:${port}`, log, holds }
}

async function ourFile(): Promise<PasswordFile> {
  return PasswordFile.fromText(`# test users\n${user}:${await hashPassword(password, { N: 1024, r: 8, p: 1 })}\n`)
}

async function connackFor(
  t: TestContext,
  port: number,
  version: ProtocolVersion,
  username?: string,
  secret?: string
): Promise<number | undefined> {
  const connect: Parameters<typeof rawConnect>[3] = {}
  if (username !== undefined) connect.username = username
  if (secret !== undefined) connect.password = Buffer.from(secret)
  const { reply } = await rawConnect(t, port, version, connect)
  return connackCode(asConnack(reply), version)
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'thermopost-login-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

test('mqtt.js with the right password is let in; a wrong one gets 0x86', async (t) => {
  const { url } = await startAuthBroker(t, await ourFile())
  const client = await mqttClient(t, url, { username: user, password })
  assert.equal(client.connected, true)

  await assert.rejects(mqttClient(t, url, { username: user, password: 'wrong' }), (error: Error & { code?: number }) => {
    assert.equal(error.code, 0x86)
    return true
  })
})

for (const version of [5, 4, 3] as const) {
  const refused = version === 5 ? 0x86 : 4
  test(`MQTT ${version}: right password 0, wrong password / unknown user / no password / anonymous ${refused}`, async (t) => {
    const { port } = await startAuthBroker(t, await ourFile())
    assert.equal(await connackFor(t, port, version, user, password), 0)
    assert.equal(await connackFor(t, port, version, user, `${password}x`), refused, 'wrong password')
    assert.equal(await connackFor(t, port, version, user, password.slice(0, -1)), refused, 'a prefix of the password')
    assert.equal(await connackFor(t, port, version, 'nobody', password), refused, 'unknown user')
    assert.equal(await connackFor(t, port, version, user), refused, 'user name without password')
    assert.equal(await connackFor(t, port, version), refused, 'anonymous')
  })
}

test('anonymous clients get in when allowed; a wrong password still does not', async (t) => {
  const { port } = await startAuthBroker(t, await ourFile(), { allowAnonymous: true })
  assert.equal(await connackFor(t, port, 5), 0)
  assert.equal(await connackFor(t, port, 5, user, 'wrong'), 0x86)
})

test('a file made by mosquitto_passwd: mosquitto_pub and mqtt.js log in with its passwords', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'mosquitto.pw')
  for (const [flags, name, secret] of [
    [['-c'], 'pbkdf2-user', 'first pass'],
    [['-H', 'sha512'], 'sha512-user', 'second pass']
  ] as const) {
    const made = await runProgram(t, 'mosquitto_passwd', [...flags, '-b', file, name, secret])
    assert.equal(made.code, 0, made.stderr)
  }
  const passwords = await PasswordFile.load(file)
  assert.deepEqual(passwords.userNames, ['pbkdf2-user', 'sha512-user'])
  const { port, url } = await startAuthBroker(t, passwords)
  const target = ['-h', '127.0.0.1', '-p', String(port), '-t', 'auth/test', '-m', 'hello']

  for (const version of [[], ['-V', '5']]) {
    const ok = await runProgram(t, 'mosquitto_pub', [...target, ...version, '-u', 'pbkdf2-user', '-P', 'first pass'])
    assert.equal(ok.code, 0, `accepted: ${ok.stderr}`)
    const ok6 = await runProgram(t, 'mosquitto_pub', [...target, ...version, '-u', 'sha512-user', '-P', 'second pass'])
    assert.equal(ok6.code, 0, `$6$ accepted: ${ok6.stderr}`)
    const wrong = await runProgram(t, 'mosquitto_pub', [...target, ...version, '-u', 'pbkdf2-user', '-P', 'second pass'])
    assert.notEqual(wrong.code, 0)
    assert.match(wrong.stderr, /bad user name or password/i)
  }
  await mqttClient(t, url, { username: 'pbkdf2-user', password: 'first pass', protocolVersion: 4 })
})

test('repeated failures of one user from one address are held, doubling, before they are answered', async (t) => {
  const { port, holds } = await startAuthBroker(t, await ourFile(), {
    throttle: { freeFailures: 2, baseDelayMs: 500, maxDelayMs: 4000 }
  })
  for (let i = 0; i < 5; i++) assert.equal(await connackFor(t, port, 5, user, `guess-${i}`), 0x86)
  assert.deepEqual(holds, [500, 1000, 2000], 'the 3rd, 4th and 5th attempts were held')
  assert.equal(await connackFor(t, port, 5, user, password), 0, 'the right password still gets in')
  assert.deepEqual(holds, [500, 1000, 2000, 4000], '...after its hold: being right does not skip it')
})

test("one user's failed logins from an address never hold another user's correct login from it", async (t) => {
  const other = 'sensor-8'
  const passwords = PasswordFile.fromText(
    `${user}:${await hashPassword(password, { N: 1024, r: 8, p: 1 })}\n${other}:${await hashPassword('other-secret', { N: 1024, r: 8, p: 1 })}\n`
  )
  const { port, holds } = await startAuthBroker(t, passwords, { throttle: { freeFailures: 2, baseDelayMs: 500, maxDelayMs: 4000 } })
  for (let i = 0; i < 8; i++) assert.equal(await connackFor(t, port, 5, user, `guess-${i}`), 0x86)
  const heldSoFar = holds.length
  assert.equal(heldSoFar, 6, 'the failing pair is held')
  assert.equal(await connackFor(t, port, 5, other, 'other-secret'), 0)
  assert.equal(await connackFor(t, port, 4, other, 'other-secret'), 0)
  assert.equal(holds.length, heldSoFar, 'the other user from the same address was not held')
  assert.equal(await connackFor(t, port, 5, 'nobody', 'x'), 0x86, 'an unknown user is refused...')
  assert.equal(holds.length, heldSoFar, '...without a hold of its own yet, like any user with few failures')
})

test('a held attempt is answered only when its hold is over', async (t) => {
  let release: (() => void) | undefined
  const { port, holds } = await startAuthBroker(t, await ourFile(), {
    throttle: { freeFailures: 1 },
    sleep: () =>
      new Promise<void>((resolve) => {
        release = resolve
      })
  })
  assert.equal(await connackFor(t, port, 5, user, 'wrong'), 0x86, 'the free failure')

  const client = await RawClient.open(port, 5)
  t.after(() => client.destroy())
  client.send(connectPacket(5, { username: user, password: Buffer.from(password) }), 5)
  while (release === undefined) await sleep(5)
  assert.equal(holds.length, 1)
  await sleep(100)
  assert.deepEqual(
    client.pending().map((p) => p.cmd),
    [],
    'no CONNACK while held'
  )
  release()
  assert.equal(connackCode(asConnack(await client.next()), 5), 0)
})

test('too many attempts waiting from one address: refused at once with 0x89, unchecked', async (t) => {
  const { port } = await startAuthBroker(t, await ourFile(), {
    throttle: { freeFailures: 0, baseDelayMs: 1000, maxWaitMs: 500 }
  })
  assert.equal(await connackFor(t, port, 5, user, password), 0x89)
  assert.equal(await connackFor(t, port, 4, user, password), 3, '3.1.1: Server unavailable')
})

test('the log names failed logins by client id and address, and never holds a password or user name', async (t) => {
  const { port, log } = await startAuthBroker(t, await ourFile(), { throttle: { freeFailures: 1 } })
  const clientId = uniqueId('spy')
  const { reply } = await rawConnect(t, port, 5, { clientId, username: user, password: Buffer.from(`${password}-typo`) })
  assert.equal(asConnack(reply).reasonCode, 0x86)
  // A password typed into the user name field is not logged either.
  assert.equal(await connackFor(t, port, 4, password, password), 4)
  assert.equal(await connackFor(t, port, 5), 0x86)
  assert.equal(await connackFor(t, port, 5, user, password), 0)

  const failures = log.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => /login failed/.test(String(entry.msg)))
  assert.equal(failures.length, 3)
  assert.equal(failures[0]!.clientId, clientId)
  assert.equal(failures[0]!.address, '127.0.0.1')
  assert.equal(failures[0]!.problem, 'wrong password')
  assert.deepEqual(
    failures.map((entry) => entry.problem),
    ['wrong password', 'unknown user', 'no user name']
  )
  for (const line of log) {
    assert.equal(line.includes(password), false, `a password in the log: ${line}`)
    assert.equal(line.includes(Buffer.from(password).toString('base64')), false, `a base64 password in the log: ${line}`)
    assert.equal(line.includes(user), false, `a user name in the log: ${line}`)
  }
})
