import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { sleep } from '../../helpers/silence.js'

/** `thermopost broker --admin-port`: the listener, its token file, and what needs the token on loopback. */

async function adminLine(t: TestContext, dataDir: string): Promise<{ line: string; url: string; stop: () => void }> {
  const { child, output } = await startCliBroker(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--store', 'memory', '--data-dir', dataDir, '--admin-port', '0'],
    1
  )
  const deadline = Date.now() + 10_000
  const adminListening = /"msg":"(admin listening on (http:\/\/127\.0\.0\.1:\d+)[^"]*)"/
  for (;;) {
    const match = adminListening.exec(output())
    if (match !== null) return { line: match[1]!, url: match[2]!, stop: () => child.kill('SIGTERM') }
    assert.ok(Date.now() < deadline, `no admin line: ${output()}`)
    await sleep(50)
  }
}

test('thermopost broker --admin-port: a token generated 0600 into the data directory, shown once; /metrics open on loopback, /api not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-admin-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const first = await adminLine(t, dir)
  const file = join(dir, 'admin-token')
  const token = readFileSync(file, 'utf8').trim()
  assert.equal(statSync(file).mode & 0o777, 0o600)
  assert.ok(first.line.includes(`token generated into ${file}: ${token}`), first.line)

  assert.equal((await fetch(`${first.url}/metrics`)).status, 200)
  assert.equal((await fetch(`${first.url}/api/clients`)).status, 401)
  const config = await fetch(`${first.url}/api/config`, { headers: { authorization: `Bearer ${token}` } })
  assert.equal(config.status, 200)
  const body = (await config.json()) as Record<string, unknown>
  assert.equal(body.admin_port, 0)
  assert.equal(body.store, 'memory')
  first.stop()

  const second = await adminLine(t, dir)
  assert.ok(second.line.includes(`token from ${file}`), second.line)
  assert.ok(!second.line.includes(token), 'the token is shown on the first start only')
  assert.equal((await fetch(`${second.url}/api/clients`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
})
