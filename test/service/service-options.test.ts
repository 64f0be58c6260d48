import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { CommandError, UsageError } from '../../common/command-errors.js'
import { parseDuration } from '../../common/config/duration.js'
import { parseHistoryOption } from '../../service/history-option.js'
import { serviceSettingsFrom } from '../../service/service-options.js'

function configFile(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'thermopost-service-config-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'thermopost.yaml'), text)
  return join(dir, 'thermopost.yaml')
}

test('without flags: one local broker, 127.0.0.1:8080, ./data with its history.db, raw kept 30 days, every adapter', async () => {
  assert.deepEqual(await serviceSettingsFrom([], {}), {
    urls: ['mqtt://127.0.0.1:1883'],
    httpHost: '127.0.0.1',
    httpPort: 8080,
    dataDir: './data',
    history: { kind: 'sqlite', path: 'data/history.db' },
    retentionRawMs: 30 * 86_400_000,
    apiOpen: false,
    clientId: 'thermopost-service',
    alertRules: [],
    sparkplugHostId: 'thermopost'
  })
  assert.equal(await serviceSettingsFrom(['--help'], {}), undefined)
})

test('the Sparkplug host application: on by default as host thermopost, another host id, or off', async () => {
  assert.equal((await serviceSettingsFrom(['--sparkplug-host-id', 'scada-2'], {}))?.sparkplugHostId, 'scada-2')
  assert.equal((await serviceSettingsFrom(['--sparkplug', 'false'], {}))?.sparkplugHostId, undefined)
  await assert.rejects(
    serviceSettingsFrom(['--sparkplug-host-id', 'a/b'], {}),
    (error: Error) => error instanceof UsageError && /^--sparkplug-host-id must be one topic level/.test(error.message)
  )
})

test('flags and the environment: brokers, login, port, history, retention, adapters, token', async () => {
  const settings = await serviceSettingsFrom(
    [
      '--url',
      'mqtt://a:1883',
      '--url',
      'mqtts://b:8883',
      '--username',
      'service',
      '--http-port',
      '0',
      '--http-host',
      '0.0.0.0',
      '--data-dir',
      '/var/lib/tp',
      '--history',
      'influx://grafana:p%40ss@influx.lan/thermo',
      '--retention-raw',
      '12h',
      '--adapters',
      'tasmota,shelly',
      '--api-open',
      '--client-id',
      'service-2',
      '--webhook-url',
      'https://hooks.lan/alerts'
    ],
    { THERMOPOST_MQTT_PASSWORD: 'from-env', THERMOPOST_API_TOKEN: 'a-token-of-24-characters' }
  )
  assert.deepEqual(settings, {
    urls: ['mqtt://a:1883', 'mqtts://b:8883'],
    username: 'service',
    password: 'from-env',
    httpHost: '0.0.0.0',
    httpPort: 0,
    dataDir: '/var/lib/tp',
    history: { kind: 'influx', host: 'influx.lan', port: 8086, database: 'thermo', username: 'grafana', password: 'p@ss' },
    retentionRawMs: 12 * 3_600_000,
    apiToken: 'a-token-of-24-characters',
    apiOpen: true,
    adapters: ['tasmota', 'shelly'],
    clientId: 'service-2',
    webhookUrl: 'https://hooks.lan/alerts',
    alertRules: [],
    sparkplugHostId: 'thermopost'
  })
  const flagWins = await serviceSettingsFrom(['--api-token', 'the-flag-token-0123'], { THERMOPOST_API_TOKEN: 'the-env-token-01234' })
  assert.equal(flagWins?.apiToken, 'the-flag-token-0123')
})

test('a mistake in a flag is a usage error that names the flag and what it takes', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--url', 'localhost:1883'], /^--url must look like mqtt:\/\/HOST:PORT/],
    [['--http-port', '70000'], /^--http-port must be at most 65535/],
    [['--history', 'postgres://db/x'], /^--history 'postgres:\/\/db\/x' is neither form: use sqlite:PATH or influx:/],
    [['--history', 'sqlite:'], /names no file/],
    [['--history', 'influx://u:secret@host:8086/'], /^--history 'influx:\/\/u:\*\*\*@host:8086\/' needs the database name/],
    [['--history', 'influx://host:8086/a/b'], /one segment/],
    [['--retention-raw', '30 days'], /^--retention-raw must be a time of at least 1h, like 30d, 12h or 90m, not '30 days'/],
    [['--retention-raw', '59m'], /at least 1h/],
    [['--adapters', 'tasmota,sonoff'], /^--adapters has no adapter 'sonoff'; the adapters are thermopost, tasmota/],
    [['--password', 'p'], /^--password needs --username/],
    [['--api-token', 'short'], /^--api-token must be at least 16 characters/],
    [['--webhook-url', 'ftp://x/y'], /^--webhook-url must be an http:\/\/ or https:\/\/ URL/],
    [['--section', 'service'], /--section needs --config/]
  ]
  for (const [args, message] of cases) {
    await assert.rejects(
      serviceSettingsFrom(args, {}),
      (error: Error) => error instanceof UsageError && message.test(error.message),
      args.join(' ')
    )
  }
  await assert.rejects(serviceSettingsFrom([], { THERMOPOST_API_TOKEN: 'x' }), /THERMOPOST_API_TOKEN must be at least 16 characters/)
  await assert.rejects(serviceSettingsFrom(['--http-prot', '1'], {}), { code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' })
})

test("the config file's section gives the settings a flag does not; its mistakes name the file's line", async (t) => {
  const file = configFile(
    t,
    [
      'broker:',
      '  port: 1884',
      'service:',
      '  url: [mqtt://a:1884, mqtt://b:1884]',
      '  http_port: 9090',
      '  adapters: [thermopost, homie]',
      '  api_token: token-from-the-file-123',
      ''
    ].join('\n')
  )
  const settings = await serviceSettingsFrom(['--config', file, '--section', 'service', '--http-port', '9191'], {})
  assert.deepEqual(settings?.urls, ['mqtt://a:1884', 'mqtt://b:1884'])
  assert.equal(settings?.httpPort, 9191, 'the flag wins')
  assert.deepEqual(settings?.adapters, ['thermopost', 'homie'])
  assert.equal(settings?.apiToken, 'token-from-the-file-123')
  const bad = configFile(t, 'service:\n  http_port: 9090\n  history: mysql://x\n')
  await assert.rejects(
    serviceSettingsFrom(['--config', bad, '--section', 'service'], {}),
    (error: Error) => error instanceof CommandError && error.message.startsWith(`${bad}:3: service.history: 'mysql://x' is neither form`)
  )
  const typo = configFile(t, 'service:\n  http_prot: 9090\n')
  await assert.rejects(
    serviceSettingsFrom(['--config', typo, '--section', 'service'], {}),
    (error: Error) =>
      error instanceof CommandError && error.message === `${typo}:2: service.http_prot: unknown key (did you mean 'http_port'?)`
  )
})

test('alert rules come from the file, each with one condition and a duration; a bad one names its line', async (t) => {
  const file = configFile(
    t,
    [
      'alerts:',
      '  - { device: home/living-room, above: 30, for: 10m }',
      '  - { id: freezer-warm, device: lab/freezer, below: -30, for: 90s, severity: info }',
      '  - { stale: true, for: 15m, severity: critical }',
      ''
    ].join('\n')
  )
  assert.deepEqual((await serviceSettingsFrom(['--config', file], {}))?.alertRules, [
    { id: 'rule-1', deviceId: 'home/living-room', severity: 'warning', condition: { kind: 'above', threshold: 30, forMs: 600_000 } },
    { id: 'freezer-warm', deviceId: 'lab/freezer', severity: 'info', condition: { kind: 'below', threshold: -30, forMs: 90_000 } },
    { id: 'rule-3', deviceId: '*', severity: 'critical', condition: { kind: 'stale', forMs: 900_000 } }
  ])
  const bad = configFile(t, 'alerts:\n  - { above: 30, for: 10m }\n  - { above: 30, below: 5, for: 10m }\n  - { stale: true, for: soon }\n')
  await assert.rejects(
    serviceSettingsFrom(['--config', bad], {}),
    (error: Error) =>
      error instanceof CommandError &&
      error.message ===
        `${bad}:3: alerts[1]: needs exactly one of above, below or stale, not {"above":30,"below":5,"for":"10m"}\n` +
          `${bad}:4: alerts[2].for: must be a time like 90s, 10m or 12h, not 'soon'`
  )
})

test('durations and history targets', () => {
  assert.deepEqual(['30d', '12h', '90m', '45s', '1.5d', '10', '250ms', '', '3w', '-5s'].map(parseDuration), [
    30 * 86_400_000,
    12 * 3_600_000,
    90 * 60_000,
    45_000,
    1.5 * 86_400_000,
    10_000,
    250,
    undefined,
    undefined,
    undefined
  ])
  assert.deepEqual(parseHistoryOption('sqlite:/srv/h.db', 'data'), { kind: 'sqlite', path: '/srv/h.db' })
  assert.deepEqual(parseHistoryOption('influx://[::1]:8087/db', 'data'), { kind: 'influx', host: '::1', port: 8087, database: 'db' })
})

test("the broker's admin API for the Broker page: its URL with a token from the flag, the environment or a file, and never half", async () => {
  const url = 'http://127.0.0.1:9090'
  const token = 'admin-token-0123456789'
  assert.deepEqual((await serviceSettingsFrom(['--broker-admin-url', url, '--broker-admin-token', token], {}))?.brokerAdmin, { url, token })
  assert.deepEqual((await serviceSettingsFrom(['--broker-admin-url', url], { THERMOPOST_BROKER_ADMIN_TOKEN: token }))?.brokerAdmin, {
    url,
    token
  })
  assert.deepEqual(
    (await serviceSettingsFrom(['--broker-admin-url', url, '--broker-admin-token-file', 'data/broker/admin-token'], {}))?.brokerAdmin,
    {
      url,
      token: { file: 'data/broker/admin-token' }
    }
  )
  assert.equal((await serviceSettingsFrom([], { THERMOPOST_BROKER_ADMIN_TOKEN: token }))?.brokerAdmin, undefined)
  const refused: Array<[string[], RegExp]> = [
    [['--broker-admin-url', url], /^--broker-admin-url needs --broker-admin-token/],
    [['--broker-admin-token', token], /^--broker-admin-token needs --broker-admin-url/],
    [['--broker-admin-token-file', 'f'], /^--broker-admin-token-file needs --broker-admin-url/],
    [
      ['--broker-admin-url', url, '--broker-admin-token', token, '--broker-admin-token-file', 'f'],
      /^--broker-admin-token-file cannot be given with/
    ],
    [['--broker-admin-url', 'ftp://x', '--broker-admin-token', token], /^--broker-admin-url must be an http/],
    [['--broker-admin-url', url, '--broker-admin-token', 'short'], /^--broker-admin-token /]
  ]
  for (const [args, message] of refused)
    await assert.rejects(
      serviceSettingsFrom(args, {}),
      (error: Error) => error instanceof UsageError && message.test(error.message),
      args.join(' ')
    )
})
