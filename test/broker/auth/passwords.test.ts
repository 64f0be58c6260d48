import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import {
  hashPassword,
  PasswordFile,
  PasswordFileError,
  parsePasswordLines,
  type ScryptCost,
  verifyPassword
} from '../../../broker/auth/passwords.js'

/** The password file: our scrypt lines, mosquitto_passwd's $7$ and $6$ lines, bad lines, reload. */

// Cheap scrypt for tests that hash many times; the default cost has its own test.
const cheap: ScryptCost = { N: 1024, r: 8, p: 1 }

// Golden lines: made once by Debian's mosquitto_passwd 2.0.11 (`-b`, and `-H sha512 -b`), and by hashPassword
// at format v=1 (N=2^15, the default cost when it was made). They must keep verifying whatever the code becomes.
const golden = {
  mosquittoPbkdf2: 'alice:$7$101$GfwwiZIAsiQcKcwQ$r5KaMPmRI/+m3QcnAM8gPvkpG4hiF9Yk69wVq5igG3zWxTnaUcBvBzxy9Wwr65CcIcHiAVPRQGQFbXUK8SHAhA==',
  mosquittoSha512: 'bob:$6$5M+O7kE/IUZ2lpF4$pE7VlvpDSdcC2ionjVavXOqlTk3evJv4rJtjiXZ0JChOxj8/Me/10BZPfvkbOuyMAlN9p3pCnn9KzKHoOjD6YQ==',
  scryptV1: 'carol:$scrypt$v=1$N=32768,r=8,p=1$IhcME1mgqbEnxxb4C5/tyg==$5K1A2Ip3nX0koNnGvzwlB6aqoMAPyKK5FTOWWC0cAx0='
}
const goldenPasswords = { alice: 'secret', bob: 'pw6', carol: 'newpw' }

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'thermopost-passwords-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function parseError(text: string, file = 'users.pw'): PasswordFileError {
  try {
    parsePasswordLines(text, file)
  } catch (error) {
    assert.ok(error instanceof PasswordFileError, `a PasswordFileError, not ${String(error)}`)
    return error
  }
  assert.fail(`no error for ${JSON.stringify(text)}`)
}

describe('hashes', () => {
  test('scrypt at the default cost: the right password verifies, others do not', async () => {
    const field = await hashPassword('correct horse')
    assert.match(field, /^\$scrypt\$v=1\$N=16384,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/)
    const [line] = parsePasswordLines(`u:${field}\n`, 'f')
    assert.equal(line?.kind, 'user')
    if (line?.kind !== 'user') return
    assert.equal(await verifyPassword('correct horse', line.hash), true)
    assert.equal(await verifyPassword(Buffer.from('correct horse'), line.hash), true, 'MQTT passwords arrive as bytes')
    assert.equal(await verifyPassword('correct horsf', line.hash), false)
    assert.equal(await verifyPassword('', line.hash), false)
  })

  test('a fresh random salt per hash: the same password never hashes the same', async () => {
    const a = await hashPassword('same', cheap)
    const b = await hashPassword('same', cheap)
    assert.notEqual(a, b)
    assert.notEqual(a.split('$')[4], b.split('$')[4], 'different salts')
  })

  test('a non-ASCII password is hashed as its UTF-8 bytes', async () => {
    const file = PasswordFile.fromText(`u:${await hashPassword('pässwörd ✓', cheap)}\n`)
    assert.equal(await file.verify('u', Buffer.from('pässwörd ✓', 'utf8')), true)
    assert.equal(await file.verify('u', Buffer.from('pässwörd ✓', 'latin1')), false)
  })

  test('golden lines: mosquitto_passwd $7$ (PBKDF2-SHA512), $6$ (SHA-512) and our $scrypt$ v=1', async () => {
    const file = PasswordFile.fromText(`${golden.mosquittoPbkdf2}\n${golden.mosquittoSha512}\n${golden.scryptV1}\n`)
    assert.deepEqual(file.userNames, ['alice', 'bob', 'carol'])
    for (const [user, password] of Object.entries(goldenPasswords)) {
      assert.equal(await file.verify(user, password), true, `${user} with the right password`)
      assert.equal(await file.verify(user, `${password}x`), false, `${user} with a wrong password`)
      assert.equal(await file.verify(user, password.slice(0, -1)), false, `${user} with a prefix of the password`)
    }
    assert.equal(await file.verify('alice', goldenPasswords.bob), false, "another user's password")
  })
})

describe('the file', () => {
  test('comments, blank lines and CRLF line ends are read; user names are exact', async () => {
    const text = `# users\r\n\r\n   \n${golden.mosquittoPbkdf2}\r\n  # indented comment\n${golden.scryptV1}`
    const lines = parsePasswordLines(text, 'f')
    assert.deepEqual(
      lines.map((line) => line.kind),
      ['other', 'other', 'other', 'user', 'other', 'user']
    )
    const file = PasswordFile.fromText(text)
    assert.deepEqual(file.userNames, ['alice', 'carol'])
    assert.equal(await file.verify('alice', 'secret'), true)
    assert.equal(await file.verify('Alice', 'secret'), false, 'user names are case-sensitive')
    assert.equal(file.has('alice'), true)
    assert.equal(file.has('nobody'), false)
  })

  test('an unknown user is refused, whatever the password', async () => {
    const file = PasswordFile.fromText(`${golden.mosquittoPbkdf2}\n`)
    assert.equal(await file.verify('mallory', 'secret'), false)
    assert.equal(await PasswordFile.fromText('').verify('alice', 'secret'), false, 'an empty file lets nobody in')
  })

  const badLines: Array<[string, string, RegExp]> = [
    ['no colon', 'alice', /users\.pw:2: expected user:hash/],
    ['a plain-text password (mosquitto before -U)', 'alice:secret', /users\.pw:2: user 'alice': .*plain-text/],
    ['an unknown hash type', 'alice:$1$abc$def', /users\.pw:2: user 'alice': unknown hash type '\$1\$'/],
    ['an empty user name', ':$6$abc$def', /users\.pw:2: empty user name/],
    ['a user name with surrounding space', ` alice:${golden.mosquittoPbkdf2.slice(6)}`, /users\.pw:2: .*white space/],
    ['salt that is not base64', `alice:$7$101$not*base64$${'A'.repeat(88)}`, /users\.pw:2: user 'alice': salt is not base64/],
    ['a $7$ hash of the wrong length', 'alice:$7$101$GfwwiZIAsiQcKcwQ$AAAA', /users\.pw:2: user 'alice': hash must be 64 bytes, not 3/],
    ['$7$ iterations that are not a number', `alice:$7$many$GfwwiZIAsiQcKcwQ$${'A'.repeat(86)}==`, /iterations must be/],
    ['a $7$ line with a missing field', 'alice:$7$101$GfwwiZIAsiQcKcwQ', /expected \$7\$iterations\$salt\$hash/],
    ['a $6$ line with an extra field', 'alice:$6$a$b$c', /expected \$6\$salt\$hash/],
    ['a $scrypt$ version from the future', `alice:$scrypt$v=2$N=1024,r=8,p=1$AAAA$${'A'.repeat(44)}`, /unknown \$scrypt\$ version 'v=2'/],
    ['a $scrypt$ N that is not a power of 2', `alice:$scrypt$v=1$N=1000,r=8,p=1$AAAA$${'A'.repeat(44)}`, /N must be a power of 2/],
    ['a $scrypt$ cost that would take gigabytes', `alice:$scrypt$v=1$N=16777216,r=8,p=1$AAAA$${'A'.repeat(44)}`, /MiB per check/],
    ['a $scrypt$ cost that is not N,r,p', `alice:$scrypt$v=1$r=8$AAAA$${'A'.repeat(44)}`, /expected N=\.\.,r=\.\.,p=\.\./],
    ['a user twice', golden.mosquittoSha512, /users\.pw:2: user 'bob' is already on line 1/]
  ]
  for (const [what, line, message] of badLines) {
    test(`refused, naming the file and line: ${what}`, () => {
      const first = what === 'a user twice' ? golden.mosquittoSha512 : '# first line'
      const error = parseError(`${first}\n${line}\n${golden.scryptV1}\n`)
      assert.match(error.message, message)
      assert.equal(error.file, 'users.pw')
      assert.equal(error.line, 2)
    })
  }

  test('load reads a file; a missing file is an error naming it', async (t) => {
    const dir = await tempDir(t)
    const path = join(dir, 'users.pw')
    await writeFile(path, `${golden.mosquittoPbkdf2}\n`)
    const file = await PasswordFile.load(path)
    assert.equal(file.path, path)
    assert.deepEqual(file.userNames, ['alice'])
    await assert.rejects(PasswordFile.load(join(dir, 'missing.pw')), (error: unknown) => {
      assert.ok(error instanceof PasswordFileError)
      assert.match(error.message, /missing\.pw: cannot read/)
      return true
    })
  })

  test('reload picks up changes; a bad or missing file is reported and the old users stay', async (t) => {
    const dir = await tempDir(t)
    const path = join(dir, 'users.pw')
    await writeFile(path, `${golden.mosquittoPbkdf2}\n`)
    const file = await PasswordFile.load(path)

    await writeFile(path, `${golden.mosquittoPbkdf2}\n${golden.mosquittoSha512}\n`)
    assert.equal(await file.reload(), 2)
    assert.equal(await file.verify('bob', 'pw6'), true, 'a user added to the file can log in after reload')

    await writeFile(path, `${golden.mosquittoSha512}\nbroken line\n`)
    await assert.rejects(file.reload(), /users\.pw:2: expected user:hash/)
    assert.deepEqual(file.userNames, ['alice', 'bob'], 'the users from before the bad reload')
    assert.equal(await file.verify('alice', 'secret'), true)

    await rm(path)
    await assert.rejects(file.reload(), /users\.pw: cannot read/)
    assert.equal(await file.verify('bob', 'pw6'), true)

    await writeFile(path, `${golden.mosquittoSha512}\n`)
    assert.equal(await file.reload(), 1)
    assert.equal(await file.verify('alice', 'secret'), false, 'a user removed from the file is refused after reload')
  })
})
