import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { pino } from 'pino'
import { configureAuth } from '../../../broker/auth/configure-auth.js'
import { hashPassword } from '../../../broker/auth/passwords.js'

/** How the command line's auth settings turn into hooks: the safe anonymous default, and SIGHUP reloads. */

const logger = pino({ level: 'silent' })
const anonymous = { clientId: 'c', username: undefined, password: undefined, remoteAddress: '127.0.0.1' }

function tempDir (t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-auth-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('without a password file anonymous clients get in on loopback only', async () => {
  for (const host of ['127.0.0.1', 'localhost', '::1']) {
    const { hooks } = await configureAuth({ passwordFile: undefined, aclFile: undefined, allowAnonymous: undefined, host }, logger)
    assert.equal(await hooks.authenticate(anonymous), 0, host)
  }
  for (const host of ['0.0.0.0', '192.0.2.10', '::']) {
    const { hooks, summary } = await configureAuth({ passwordFile: undefined, aclFile: undefined, allowAnonymous: undefined, host }, logger)
    assert.equal(await hooks.authenticate(anonymous), 0x87, host)
    assert.match(summary, /anonymous clients refused/)
  }
  const { hooks } = await configureAuth({ passwordFile: undefined, aclFile: undefined, allowAnonymous: true, host: '0.0.0.0' }, logger)
  assert.equal(await hooks.authenticate(anonymous), 0, 'allowed explicitly')
})

test('with a password file anonymous access is off unless allowed, even on loopback', async (t) => {
  const file = join(tempDir(t), 'users')
  writeFileSync(file, `alice:${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`)
  const strict = await configureAuth({ passwordFile: file, aclFile: undefined, allowAnonymous: undefined, host: '127.0.0.1' }, logger)
  assert.equal(await strict.hooks.authenticate(anonymous), 0x86)
  assert.equal(await strict.hooks.authenticate({ ...anonymous, username: 'alice', password: Buffer.from('pw') }), 0)
  const open = await configureAuth({ passwordFile: file, aclFile: undefined, allowAnonymous: true, host: '127.0.0.1' }, logger)
  assert.equal(await open.hooks.authenticate(anonymous), 0)
})

test('reload picks up new users and rules, and keeps the old ones when a file has a mistake', async (t) => {
  const dir = tempDir(t)
  const users = join(dir, 'users')
  const acl = join(dir, 'acl')
  const cost = { N: 1024, r: 8, p: 1 }
  writeFileSync(users, `alice:${await hashPassword('pw', cost)}\n`)
  writeFileSync(acl, 'user alice\ntopic write a/#\n')
  const auth = await configureAuth({ passwordFile: users, aclFile: acl, allowAnonymous: undefined, host: '127.0.0.1' }, logger)
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
