import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { loadApiToken, tokenMatcher } from '../../common/api-token.js'

function dataDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-token-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'data')
}

test('the first start generates 32 random bytes into <data-dir>/api-token, mode 0600; later starts read it', async (t) => {
  const dir = dataDir(t)
  const first = await loadApiToken(dir)
  assert.match(first.token, /^[\w-]{43}$/)
  assert.deepEqual([first.file, first.generated, first.exposed], [join(dir, 'api-token'), true, false])
  assert.equal(statSync(first.file!).mode & 0o777, 0o600)
  assert.equal(readFileSync(first.file!, 'utf8'), `${first.token}\n`)
  const again = await loadApiToken(dir)
  assert.deepEqual([again.token, again.generated], [first.token, false])
  assert.notEqual((await loadApiToken(dataDir(t))).token, first.token, 'another data directory, another token')
})

test('a given token wins and writes nothing; a file others can read is flagged; a file without a token is an error', async (t) => {
  const dir = dataDir(t)
  assert.deepEqual(await loadApiToken(dir, 'given-token-0123456789'), { token: 'given-token-0123456789', generated: false, exposed: false })
  const { file } = await loadApiToken(dir)
  chmodSync(file!, 0o644)
  assert.equal((await loadApiToken(dir)).exposed, true)
  writeFileSync(file!, 'short\n')
  await assert.rejects(loadApiToken(dir), /does not hold a token .* remove it to generate a new one/)
})

test('another API keeps its token in a file of its own name beside it; tokenMatcher takes only the token itself', async (t) => {
  const dir = dataDir(t)
  const service = await loadApiToken(dir)
  const admin = await loadApiToken(dir, undefined, 'admin-token')
  assert.equal(admin.file, join(dir, 'admin-token'))
  assert.equal(statSync(admin.file!).mode & 0o777, 0o600)
  assert.notEqual(admin.token, service.token)
  const matches = tokenMatcher(admin.token)
  assert.deepEqual([matches(admin.token), matches(service.token), matches(`${admin.token}x`), matches('')], [true, false, false, false])
})
