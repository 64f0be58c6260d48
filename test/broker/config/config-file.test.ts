import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, type TestContext, test } from 'node:test'
import { brokerConfigSchema, brokerOptionsOf } from '../../../broker/config/broker-config-schema.js'
import { ConfigFileError, readConfigFile } from '../../../common/config/config-file.js'

/** The YAML config file: what a good one gives, and that every mistake names the file, the line and the key. */

function writeConfig(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'broker.yaml')
  writeFileSync(file, text)
  return file
}

/** The ConfigFileError's lines for `text`, or a failure if it is accepted. */
async function problemsIn(t: TestContext, text: string): Promise<{ file: string; lines: string[] }> {
  const file = writeConfig(t, text)
  try {
    await readConfigFile(file, brokerConfigSchema)
  } catch (error) {
    assert.ok(error instanceof ConfigFileError, String(error))
    return { file, lines: error.message.split('\n') }
  }
  return assert.fail(`accepted:\n${text}`)
}

describe('broker config file', () => {
  test('a good file gives typed keys, listeners and the broker options in their own names', async (t) => {
    const file = writeConfig(
      t,
      [
        '# a comment',
        'host: 0.0.0.0',
        'password_file: /etc/thermopost/passwd',
        'max_inflight: 20',
        'queue_qos0: true',
        'listeners:',
        '  - protocol: mqtt',
        '    port: 1883',
        '  - protocol: wss',
        '    port: 8084',
        '    path: /mqtt',
        '    cert: server.pem',
        '    key: server.key',
        '    allow_anonymous: false',
        ''
      ].join('\n')
    )
    const { value, lineOf } = await readConfigFile(file, brokerConfigSchema)
    assert.equal(value.host, '0.0.0.0')
    assert.equal(value.listeners?.[1]?.protocol, 'wss')
    assert.equal(value.listeners?.[1]?.allow_anonymous, false)
    assert.deepEqual(brokerOptionsOf(value), { maxInflight: 20, queueQos0: true })
    assert.equal(lineOf(['listeners', 1, 'cert']), 12)
    assert.equal(lineOf(['max_inflight']), 4)
  })

  test('an empty file is an empty config', async (t) => {
    const { value } = await readConfigFile(writeConfig(t, '# nothing yet\n'), brokerConfigSchema)
    assert.deepEqual(value, {})
  })

  test('an unknown key names its line and the key it is likely a typo of', async (t) => {
    const { file, lines } = await problemsIn(t, 'port: 1883\nmax_inflite: 10\n')
    assert.deepEqual(lines, [`${file}:2: max_inflite: unknown key (did you mean 'max_inflight'?)`])
  })

  test('an unknown key inside a listener names the listener and its line', async (t) => {
    const { file, lines } = await problemsIn(t, 'listeners:\n  - protocol: mqtt\n    port: 1883\n    requre_certificate: true\n')
    assert.deepEqual(lines, [`${file}:4: listeners[0].requre_certificate: unknown key (did you mean 'require_certificate'?)`])
  })

  test('wrong types and out-of-range values say what the key must be and what it is', async (t) => {
    const { file, lines } = await problemsIn(
      t,
      [
        'port: "1883x"',
        'max_inflight: 70000',
        'queue_qos0: yes please',
        'store: postgres',
        'listeners:',
        '  - protocol: quic',
        '    port: 1.5',
        ''
      ].join('\n')
    )
    assert.deepEqual(
      lines.sort(),
      [
        `${file}:1: port: must be a number, not '1883x'`,
        `${file}:2: max_inflight: must be at most 65535, not 70000`,
        `${file}:3: queue_qos0: must be true or false, not 'yes please'`,
        `${file}:4: store: must be one of sqlite, memory, redis, not 'postgres'`,
        `${file}:6: listeners[0].protocol: must be one of mqtt, mqtts, ws, wss, not 'quic'`,
        `${file}:7: listeners[0].port: must be a whole number, not 1.5`
      ].sort()
    )
  })

  test("a listener without a port says it is required, at the listener's line", async (t) => {
    const { file, lines } = await problemsIn(t, 'store: memory\nlisteners:\n  - protocol: ws\n    path: /mqtt\n')
    assert.deepEqual(lines, [`${file}:3: listeners[0].port: is required`])
  })

  test('YAML that does not parse names the line', async (t) => {
    const { file, lines } = await problemsIn(t, 'port: 1883\nlisteners:\n  - protocol: mqtt\n   port: [1883\n')
    assert.ok(lines.length >= 1)
    assert.match(lines[0]!, new RegExp(`^${file}:\\d+: not valid YAML: `))
  })

  test('a duplicated key is a mistake, not a silent override', async (t) => {
    const { file, lines } = await problemsIn(t, 'port: 1883\nport: 1884\n')
    assert.match(lines[0]!, new RegExp(`^${file}:2: not valid YAML: .*[Uu]nique`))
  })

  test('a file that is a list, not a mapping, is refused', async (t) => {
    const { file, lines } = await problemsIn(t, '- port: 1883\n')
    assert.deepEqual(lines, [`${file}:1: must be a mapping of keys, not [{"port":1883}]`])
  })

  test('a missing file says it cannot be read', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'thermopost-config-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'nope.yaml')
    await assert.rejects(
      readConfigFile(file, brokerConfigSchema),
      (error: Error) => error instanceof ConfigFileError && error.message.startsWith(`${file}: cannot read the config file: ENOENT`)
    )
  })
})

describe('a section of a shared config file', () => {
  test("only the section is read; its problems carry the section and the file's line", async (t) => {
    const file = writeConfig(t, 'service:\n  anything: goes here\nbroker:\n  port: 1884\n  max_inflight: 10\n')
    const { value } = await readConfigFile(file, brokerConfigSchema, 'broker')
    assert.deepEqual(value, { port: 1884, max_inflight: 10 })
    const bad = writeConfig(t, 'service: {}\nbroker:\n  port: 1884\n  maxInflight: 10\n')
    await assert.rejects(
      readConfigFile(bad, brokerConfigSchema, 'broker'),
      (error: Error) => error.message === `${bad}:4: broker.maxInflight: unknown key (did you mean 'max_inflight'?)`
    )
  })

  test('a missing section is an empty config', async (t) => {
    const { value } = await readConfigFile(writeConfig(t, 'service: {}\n'), brokerConfigSchema, 'broker')
    assert.deepEqual(value, {})
  })
})

describe('the order of problems', () => {
  test('problems print in the order of the file, whatever order the checks found them in', async (t) => {
    // A wrong type at line 4 and an unknown key at line 2: zod reports the unknown keys of a mapping last.
    const { file, lines } = await problemsIn(t, 'port: 1883\nmax_inflihgt: 10\nhost: 127.0.0.1\nmax_connections: many\n')
    assert.equal(lines.length, 2, lines.join('\n'))
    assert.ok(lines[0]!.startsWith(`${file}:2: max_inflihgt: unknown key`), lines.join('\n'))
    assert.ok(lines[1]!.startsWith(`${file}:4: max_connections:`), lines.join('\n'))
  })
})
