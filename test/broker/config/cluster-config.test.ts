import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { freePort } from '../../helpers/free-port.js'
import { runProgram } from '../../helpers/run-program.js'

// `cluster` and `node_id` (--cluster, --node-id): mistakes name the file, the line and the key, as every other key does.

function configFile(t: TestContext, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-cluster-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'broker.yaml')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

async function brokerFails(t: TestContext, args: string[]): Promise<string> {
  const result = await runProgram(t, process.execPath, [thermopostBin, 'broker', ...args])
  assert.notEqual(result.code, 0, result.stdout)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'a message, not a stack trace')
  return result.stderr
}

test('node_id without cluster, a store other than redis, or a redis_url beside cluster are refused with their lines', async (t) => {
  const alone = configFile(t, ['port: 0', 'node_id: n1'])
  assert.match(await brokerFails(t, ['--config', alone]), new RegExp(`${alone}:2: node_id: is for a cluster node`))
  const mixed = configFile(t, ['port: 0', 'cluster: redis://127.0.0.1:6379', 'store: sqlite', 'redis_url: redis://127.0.0.1:6380'])
  const stderr = await brokerFails(t, ['--config', mixed])
  assert.match(stderr, new RegExp(`${mixed}:3: store: cannot be sqlite in a cluster`))
  assert.match(stderr, new RegExp(`${mixed}:4: redis_url: is not for a cluster node`))
})

test('a node id that cannot be part of a key, or a cluster URL that is not redis://, is refused by the schema', async (t) => {
  const file = configFile(t, ['port: 0', 'cluster: http://127.0.0.1:6379', 'node_id: "node {1}"'])
  const stderr = await brokerFails(t, ['--config', file])
  assert.match(stderr, new RegExp(`${file}:2: cluster: `))
  assert.match(stderr, new RegExp(`${file}:3: node_id: `))
})

test('--cluster with an unreachable Redis exits with a message naming it', async (t) => {
  const url = `redis://127.0.0.1:${await freePort()}`
  const stderr = await brokerFails(t, ['--host', '127.0.0.1', '--port', '0', '--cluster', url, '--node-id', 'n1'])
  assert.ok(stderr.includes(`cannot reach Redis at ${url}`), stderr)
})

test('--cluster takes every form of Redis URL the store does, and a bad one is refused naming what is wrong', async (t) => {
  const port = await freePort()
  for (const url of [`redis-cluster://127.0.0.1:${port},127.0.0.1:${port}`, `redis+sentinel://127.0.0.1:${port}/primary`]) {
    const stderr = await brokerFails(t, ['--host', '127.0.0.1', '--port', '0', '--cluster', url, '--node-id', 'n1'])
    assert.ok(stderr.includes(`cannot reach Redis at ${url}`), stderr)
  }
  const file = configFile(t, ['port: 0', 'cluster: redis+sentinel://127.0.0.1:26379'])
  assert.match(await brokerFails(t, ['--config', file]), new RegExp(`${file}:2: cluster: the primary's name is missing`))
})
