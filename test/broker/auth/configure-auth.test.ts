import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { pino } from 'pino'
import { configureAuth } from '../../../broker/auth/configure-auth.js'
import { hashPassword } from '../../../broker/auth/passwords.js'

/** How the password and ACL files turn into hooks, the listener's anonymous policy, and SIGHUP reloads. */

const logger = pino({ level: 'silent' })
const anonymous = { clientId: 'c', username: undefined, password: undefined, remoteAddress: '127.0.0.1', anonymousAllowed: false }
const noFiles = { passwordFile: undefined, aclFile: undefined }

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-auth-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test("without a password file the listener's allow_anonymous decides, for clients with a user name too", async () => {
  const { hooks } = await configureAuth(noFiles, logger)
  assert.equal(await hooks.authenticate({ ...anonymous, anonymousAllowed: true }), 0)
  assert.equal(await hooks.authenticate({ ...anonymous, username: 'u', anonymousAllowed: true }), 0)
  assert.equal(await hooks.authenticate(anonymous), 0x87)
  assert.equal(await hooks.authenticate({ ...anonymous, username: 'u', password: Buffer.from('p') }), 0x87, 'nobody can check the password')
  assert.equal(
    await hooks.authenticate({ ...anonymous, username: 'cn', certificateIdentity: 'cn' }),
    0,
    'a verified certificate names the user'
  )
})

test('with a password file anonymous clients get in only where the listener allows them; users always need their password', async (t) => {
  const file = join(tempDir(t), 'users')
  writeFileSync(file, `alice:${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`, { mode: 0o600 })
  const { hooks, summary } = await configureAuth({ passwordFile: file, aclFile: undefined }, logger)
  assert.match(summary, /password file .* \(1 users\)/)
  assert.equal(await hooks.authenticate(anonymous), 0x86)
  assert.equal(await hooks.authenticate({ ...anonymous, anonymousAllowed: true }), 0)
  assert.equal(await hooks.authenticate({ ...anonymous, username: 'alice', password: Buffer.from('pw') }), 0)
  assert.equal(await hooks.authenticate({ ...anonymous, username: 'alice', password: Buffer.from('no'), anonymousAllowed: true }), 0x86)
})

test('a password file other users can read is loaded with a warning that names it', async (t) => {
  const file = join(tempDir(t), 'users')
  writeFileSync(file, `alice:${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`)
  chmodSync(file, 0o644)
  const lines: string[] = []
  const recording = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        lines.push(line)
      }
    }
  )
  await configureAuth({ passwordFile: file, aclFile: undefined }, recording)
  const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((line) => line.level === 40)
  assert.ok(warning, `a warning among: ${lines.join('')}`)
  assert.match(warning.msg, new RegExp(`${file}.*chmod 600`))
  chmodSync(file, 0o600)
  lines.length = 0
  await configureAuth({ passwordFile: file, aclFile: undefined }, recording)
  assert.equal(lines.filter((line) => line.includes('"level":40')).length, 0, 'no warning once only its owner can read it')
})

test('reload picks up new users and rules, and keeps the old ones when a file has a mistake', async (t) => {
  const dir = tempDir(t)
  const users = join(dir, 'users')
  const acl = join(dir, 'acl')
  const cost = { N: 1024, r: 8, p: 1 }
  writeFileSync(users, `alice:${await hashPassword('pw', cost)}\n`)
  writeFileSync(acl, 'user alice\ntopic write a/#\n')
  const auth = await configureAuth({ passwordFile: users, aclFile: acl }, logger)
  const bob = { ...anonymous, clientId: 'b', username: 'bob', password: Buffer.from('pw2') }
  assert.equal(await auth.hooks.authenticate(bob), 0x86)
  const alice = { clientId: 'a', username: 'alice', remoteAddress: '127.0.0.1' }
  assert.equal(auth.hooks.authorizePublish(alice, 'b/1', 0, false), false)

  writeFileSync(users, `alice:${await hashPassword('pw', cost)}\nbob:${await hashPassword('pw2', cost)}\n`)
  writeFileSync(acl, 'user alice\ntopic write a/#\ntopic write b/#\n')
  await auth.reload()
  assert.equal(await auth.hooks.authenticate(bob), 0)
  assert.equal(auth.hooks.authorizePublish(alice, 'b/1', 0, false), true)

  writeFileSync(users, 'this line is not a user\n')
  writeFileSync(acl, 'topic raed x\n')
  await auth.reload()
  assert.equal(await auth.hooks.authenticate(bob), 0, 'the users loaded before are kept')
  assert.equal(auth.hooks.authorizePublish(alice, 'b/1', 0, false), true, 'the rules loaded before are kept')
})
