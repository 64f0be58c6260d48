import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { resolveBridges } from '../../../broker/config/bridges.js'
import { thermopostBin } from '../../helpers/crash-broker.js'
import { runProgram } from '../../helpers/run-program.js'

// The `bridges:` list: mistakes name the file, the line and the key, as every other key does.

function configFile(t: TestContext, lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-bridges-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'broker.yaml')
  writeFileSync(file, `${lines.join('\n')}\n`)
  return file
}

async function brokerFails(t: TestContext, file: string): Promise<string> {
  const result = await runProgram(t, process.execPath, [thermopostBin, 'broker', '--config', file])
  assert.notEqual(result.code, 0, result.stdout)
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'a message, not a stack trace')
  return result.stderr
}

test('a bridge key of the wrong kind, or unknown, is refused with its line', async (t) => {
  const file = configFile(t, [
    'port: 0',
    'bridges:',
    '  - name: cloud',
    '    address: http://cloud.example.com',
    '    protocol_version: 4',
    '    topics:',
    '      - pattern: readings/#',
    '        direction: sideways',
    '        remote_prefix: a/#/',
    '    keep_alive: 30'
  ])
  const stderr = await brokerFails(t, file)
  assert.match(stderr, new RegExp(`${file}:4: bridges\\[0\\]\\.address: an mqtt://, mqtts://, ws:// or wss:// URL`))
  assert.match(stderr, new RegExp(`${file}:5: bridges\\[0\\]\\.protocol_version: must be 5 or 3.1.1`))
  assert.match(stderr, new RegExp(`${file}:8: bridges\\[0\\]\\.topics\\[0\\]\\.direction: must be one of in, out, both`))
  assert.match(stderr, new RegExp(`${file}:9: bridges\\[0\\]\\.topics\\[0\\]\\.remote_prefix: must not hold a wildcard`))
  assert.match(stderr, new RegExp(`${file}:10: bridges\\[0\\]\\.keep_alive: unknown key \\(did you mean 'keepalive'\\?\\)`))
})

test('mistakes across keys are named by key and line: a name used twice, TLS keys without TLS, a bad filter, a missing password variable', async (t) => {
  const file = configFile(t, [
    'port: 0',
    'bridges:',
    '  - name: cloud',
    '    address: mqtt://127.0.0.1:1883',
    '    topics: [{ pattern: "readings/#", direction: out }]',
    '  - name: cloud',
    '    address: [mqtt://127.0.0.1:1884, mqtt://127.0.0.1:1885]',
    '    cafile: ca.pem',
    '    password_env: THERMOPOST_BRIDGE_TEST_UNSET',
    '    topics:',
    '      - { pattern: "a/#/b", direction: in }'
  ])
  const stderr = await brokerFails(t, file)
  assert.match(stderr, new RegExp(`${file}:6: bridges\\[1\\]\\.name: is already the name of bridges\\[0\\]`))
  assert.match(stderr, new RegExp(`${file}:8: bridges\\[1\\]\\.cafile: is for mqtts:// and wss:// addresses`))
  assert.match(stderr, new RegExp(`${file}:9: bridges\\[1\\]\\.password_env: names THERMOPOST_BRIDGE_TEST_UNSET, which is not set`))
  assert.match(stderr, new RegExp(`${file}:11: bridges\\[1\\]\\.topics\\[0\\]: the local filter 'a/#/b' '#' must be the last level`))
})

test('defaults: protocol 5, a kept session, a client id from the node and bridge name, Mosquitto-like back-off', () => {
  const { bridges, problems } = resolveBridges(
    [
      {
        name: 'cloud',
        address: 'mqtts://cloud.example.com:8883',
        password_env: 'CLOUD_PASSWORD',
        username: 'site-1',
        insecure: false,
        topics: [{ pattern: 'readings/#', direction: 'out', qos: 1, remote_prefix: 'sites/1/' }]
      }
    ],
    'site-host',
    { CLOUD_PASSWORD: 'secret' }
  )
  assert.deepEqual(problems, [])
  const [bridge] = bridges
  assert.equal(bridge!.protocolVersion, 5)
  assert.equal(bridge!.cleanStart, false)
  assert.equal(bridge!.clientId, 'site-host-cloud')
  assert.equal(bridge!.password, 'secret')
  assert.deepEqual(bridge!.addresses, ['mqtts://cloud.example.com:8883'])
  assert.deepEqual([bridge!.restartDelay, bridge!.restartDelayMax], [5, 30])
  assert.deepEqual(bridge!.topics, [{ pattern: 'readings/#', direction: 'out', qos: 1, localPrefix: '', remotePrefix: 'sites/1/' }])
})
