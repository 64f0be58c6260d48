import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { PasswordFile } from '../../../broker/auth/passwords.js'

/** `thermopost passwd FILE add|delete|list USER`, run as a program with the password on stdin. */

// The compiled test lives in dist/test/broker/auth/; the repository root is four levels up.
const root = fileURLToPath(new URL('../../../../', import.meta.url))
const cli = 'dist/bin/thermopost.js'

interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

function passwd(t: TestContext, args: string[], stdin = ''): Promise<Finished> {
  const child = spawn(process.execPath, [cli, 'passwd', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] })
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  child.stdin.on('error', () => {}) // it may exit before reading stdin (usage errors)
  child.stdin.end(stdin)
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  )
}

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'thermopost-passwd-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const mosquittoLine =
  'alice:$7$101$GfwwiZIAsiQcKcwQ$r5KaMPmRI/+m3QcnAM8gPvkpG4hiF9Yk69wVq5igG3zWxTnaUcBvBzxy9Wwr65CcIcHiAVPRQGQFbXUK8SHAhA=='

describe('thermopost passwd', () => {
  test('--help prints the usage', async (t) => {
    const result = await passwd(t, ['--help'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /Usage: thermopost passwd FILE add USER/)
  })

  test('add creates the file, mode 0600, with an scrypt line and never the password', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'users.pw')
    const added = await passwd(t, [file, 'add', 'sensor-1'], 'first secret\n')
    assert.equal(added.code, 0, added.stderr)
    assert.equal(added.stdout, 'added sensor-1\n')

    assert.equal((await stat(file)).mode & 0o777, 0o600)
    const text = await readFile(file, 'utf8')
    assert.match(text, /^sensor-1:\$scrypt\$v=1\$N=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+\n$/)
    assert.equal(text.includes('first secret'), false)
    const passwords = await PasswordFile.load(file)
    assert.equal(await passwords.verify('sensor-1', 'first secret'), true)
    assert.equal(await passwords.verify('sensor-1', 'first secret\n'), false, 'the line end is not part of the password')
    assert.deepEqual(await readdir(dir), ['users.pw'], 'no temporary file left behind')
  })

  test('only the first line of stdin is the password, CRLF or not', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'users.pw')
    assert.equal((await passwd(t, [file, 'add', 'u1'], 'with crlf\r\nsecond line\n')).code, 0)
    assert.equal((await passwd(t, [file, 'add', 'u2'], 'no line end')).code, 0)
    const passwords = await PasswordFile.load(file)
    assert.equal(await passwords.verify('u1', 'with crlf'), true)
    assert.equal(await passwords.verify('u2', 'no line end'), true)
  })

  test('add to a mosquitto_passwd file; change a password; delete; list prints user names only', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'users.pw')
    await writeFile(file, `# moved over from mosquitto\n${mosquittoLine}\n`)

    assert.equal((await passwd(t, [file, 'add', 'bob'], 'bob one\n')).code, 0)
    const listed = await passwd(t, [file, 'list'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.equal(listed.stdout, 'alice\nbob\n')

    const changed = await passwd(t, [file, 'add', 'bob'], 'bob two\n')
    assert.equal(changed.code, 0, changed.stderr)
    assert.equal(changed.stdout, 'changed the password of bob\n')
    let passwords = await PasswordFile.load(file)
    assert.equal(await passwords.verify('bob', 'bob two'), true)
    assert.equal(await passwords.verify('bob', 'bob one'), false)
    assert.equal(await passwords.verify('alice', 'secret'), true, 'the mosquitto user still logs in')

    const deleted = await passwd(t, [file, 'delete', 'bob'])
    assert.equal(deleted.code, 0, deleted.stderr)
    assert.equal(await readFile(file, 'utf8'), `# moved over from mosquitto\n${mosquittoLine}\n`, 'other lines kept as they were')
    passwords = await PasswordFile.load(file)
    assert.deepEqual(passwords.userNames, ['alice'])
    assert.equal((await stat(file)).mode & 0o777, 0o600)
  })

  test('refused on the command line (exit 2), with nothing written', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'users.pw')
    const cases: Array<[string[], RegExp]> = [
      [[file, 'add', 'bob', 'hunter2'], /never an argument/],
      [[file, 'add'], /add needs a user name/],
      [[file, 'rename', 'bob'], /unknown action 'rename'/],
      [[file], /needs a FILE and an action/],
      [[file, 'list', 'bob'], /list takes no user name/],
      [[file, 'add', 'a:b'], /cannot contain ':'/]
    ]
    for (const [args, message] of cases) {
      const result = await passwd(t, args, 'hunter2\n')
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`)
      assert.match(result.stderr, message)
      assert.match(result.stderr, /Usage: thermopost passwd/)
    }
    assert.deepEqual(await readdir(dir), [])
  })

  test('refused while running (exit 1), with the file unchanged', async (t) => {
    const dir = await tempDir(t)
    const file = join(dir, 'users.pw')

    const empty = await passwd(t, [file, 'add', 'bob'], '')
    assert.equal(empty.code, 1)
    assert.match(empty.stderr, /empty password/)
    assert.deepEqual(await readdir(dir), [], 'no file made for an empty password')

    const missing = await passwd(t, [file, 'list'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /users\.pw: cannot read/)

    const broken = `${mosquittoLine}\nthis line is broken\n`
    await writeFile(file, broken)
    for (const args of [
      [file, 'add', 'bob'],
      [file, 'delete', 'alice'],
      [file, 'list']
    ]) {
      const result = await passwd(t, args, 'pw\n')
      assert.equal(result.code, 1, args.join(' '))
      assert.match(result.stderr, /users\.pw:2: expected user:hash/)
      assert.equal(await readFile(file, 'utf8'), broken)
    }

    await writeFile(file, `${mosquittoLine}\n`)
    const unknown = await passwd(t, [file, 'delete', 'bob'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no user 'bob'/)
    assert.equal(await readFile(file, 'utf8'), `${mosquittoLine}\n`)
  })
})
