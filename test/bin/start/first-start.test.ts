import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { markCredentialsShown, prepareDataDir } from '../../../bin/start/first-start.js'
import { parseAcl } from '../../../broker/auth/acl.js'
import { PasswordFile } from '../../../broker/auth/passwords.js'

/** The all-in-one start's data directory: generated logins on the first start, the same ones afterwards. */

function emptyDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-first-start-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

test("the first start generates logins the broker's files accept, readable by the owner only", async (t) => {
  const data = await prepareDataDir(emptyDir(t))
  assert.equal(data.showCredentials, true)
  for (const file of [data.credentialsFile, data.passwordFile, data.aclFile]) {
    assert.equal(statSync(file).mode & 0o777, 0o600, file)
  }
  assert.equal(statSync(data.dir).mode & 0o777, 0o700)
  const passwords = await PasswordFile.load(data.passwordFile)
  const { service, simulator, admin } = data.credentials
  for (const login of [service, simulator, admin]) {
    assert.equal(await passwords.verify(login.username, Buffer.from(login.password)), true, login.username)
    assert.equal(await passwords.verify(login.username, Buffer.from('guess')), false)
  }
  assert.notEqual(service.password, simulator.password)
  assert.ok(data.credentials.apiToken.length >= 40)
  const acl = parseAcl(readFileSync(data.aclFile, 'utf8'), data.aclFile)
  assert.ok(acl.rules.length >= 6)
})

test('later starts keep the logins and show them only until a start has shown them; a deleted password file comes back', async (t) => {
  const dir = emptyDir(t)
  const first = await prepareDataDir(dir)
  rmSync(first.passwordFile)
  const afterAFailedStart = await prepareDataDir(dir)
  assert.equal(afterAFailedStart.showCredentials, true, 'a start that never came up showed nothing: the next one shows them')
  assert.deepEqual(afterAFailedStart.credentials, first.credentials)
  await markCredentialsShown(afterAFailedStart)
  const second = await prepareDataDir(dir)
  assert.equal(second.showCredentials, false)
  assert.deepEqual(second.credentials, first.credentials)
  const passwords = await PasswordFile.load(second.passwordFile)
  assert.equal(await passwords.verify('service', Buffer.from(first.credentials.service.password)), true)
})

test('a damaged credentials file stops with a message that says what to do', async (t) => {
  const dir = emptyDir(t)
  const first = await prepareDataDir(dir)
  writeFileSync(first.credentialsFile, '{"service": 1}')
  await assert.rejects(prepareDataDir(dir), /credentials\.json is not a credentials file .*remove it to generate new credentials/)
})

test("the simulator may publish under Home Assistant's discovery prefix it is given, and nowhere else without one", async (t) => {
  const rulesOf = (file: string): string[] => readFileSync(file, 'utf8').split('\n')
  const byDefault = await prepareDataDir(emptyDir(t))
  assert.ok(rulesOf(byDefault.aclFile).includes('topic readwrite homeassistant/#'))
  const moved = await prepareDataDir(emptyDir(t), 'ha/upstairs')
  assert.ok(rulesOf(moved.aclFile).includes('topic readwrite ha/upstairs/#'))
  assert.ok(!rulesOf(moved.aclFile).includes('topic readwrite homeassistant/#'))
  const none = await prepareDataDir(emptyDir(t), false)
  assert.deepEqual(
    rulesOf(none.aclFile).filter((line) => line.includes('homeassistant') || line.includes('ha/')),
    []
  )
})
