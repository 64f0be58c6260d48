import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startCliBroker } from '../../helpers/cli-broker.js'
import { Inbox } from '../../helpers/mqtt-inbox.js'
import { mqttClient } from '../../helpers/session-clients.js'
import { sleep } from '../../helpers/silence.js'

/** `thermopost broker --acl-file`: SIGHUP re-reads the file, and what a connected subscriber receives follows it. */

const RULES = 'user alice\ntopic read s/#\nuser writer\ntopic write s/#\n'

test("thermopost broker --acl-file: after SIGHUP a connected subscriber's deliveries follow the user's new rights, without resubscribing", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-acl-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const aclFile = join(dir, 'acl')
  writeFileSync(aclFile, RULES)
  const { child, output, urls } = await startCliBroker(
    t,
    ['--host', '127.0.0.1', '--port', '0', '--store', 'memory', '--acl-file', aclFile, '--allow-anonymous', 'true'],
    1
  )
  const alice = await mqttClient(t, urls[0]!, { username: 'alice' })
  const inbox = new Inbox(alice)
  await alice.subscribeAsync('s/#', { qos: 1 })
  const writer = await mqttClient(t, urls[0]!, { username: 'writer' })
  await writer.publishAsync('s/secret', 'before', { qos: 1 })
  assert.equal((await inbox.takeOne()).topic, 's/secret')

  writeFileSync(aclFile, `${RULES}user alice\ntopic deny s/secret\n`)
  child.kill('SIGHUP')
  const deadline = Date.now() + 5000
  while (!/ACL file reloaded/.test(output())) {
    assert.ok(Date.now() < deadline, `no reload logged: ${output()}`)
    await sleep(50)
  }
  await writer.publishAsync('s/secret', 'after', { qos: 1 })
  await writer.publishAsync('s/open', 'after', { qos: 1 })
  assert.equal((await inbox.takeOne()).topic, 's/open')
  await inbox.none()
  assert.equal(alice.connected, true)
})
