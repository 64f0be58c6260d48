import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { brokerConfigSchema } from '../../../../broker/config/broker-config-schema.js'
import { readMosquittoBrokerConfig } from '../../../../broker/config/mosquitto/mosquitto-broker-config.js'
import { mosquittoYaml } from '../../../../broker/config/mosquitto/mosquitto-yaml.js'
import { readConfigFile } from '../../../../common/config/config-file.js'
import { layout, problemsOf } from '../../../helpers/mosquitto-conf-files.js'

/** Mosquitto 2.x configurations, as Debian and Mosquitto's documentation write them, read as ours. */

/** Debian's /etc/mosquitto/mosquitto.conf (mosquitto 2.0.11-1), its include_dir pointing into `dir`. */
function debianConf(dir: string): string {
  return `# Place your local configuration in /etc/mosquitto/conf.d/
#
# A full description of the configuration file is at
# /usr/share/doc/mosquitto/examples/mosquitto.conf.example

pid_file /run/mosquitto/mosquitto.pid

persistence true
persistence_location /var/lib/mosquitto/

log_dest file /var/log/mosquitto/mosquitto.log

include_dir ${join(dir, 'conf.d')}
`
}

const conf_d_readme = 'Any files placed in this directory that have a .conf ending will be loaded as\nconfig files by the broker.\n'

describe("Debian's layout", () => {
  test('as installed: local-only on 1883 with anonymous clients, persistence in /var/lib/mosquitto, notes for pid_file and log_dest', async (t) => {
    const dir = await layout(t, { 'conf.d/README': conf_d_readme })
    await writeFile(join(dir, 'mosquitto.conf'), debianConf(dir))
    const { config, notes } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
    assert.deepEqual(config, {
      allow_anonymous: true,
      store: 'sqlite',
      data_dir: '/var/lib/mosquitto',
      listeners: [{ protocol: 'mqtt', host: '127.0.0.1', port: 1883 }]
    })
    const noted = notes.map(({ origin, text }) => `${origin?.line ?? '-'} ${text}`)
    assert.ok(
      noted.some((note) => note.startsWith('6 ignored: thermopost writes no pid file')),
      noted.join('\n')
    )
    assert.ok(
      noted.some((note) => note.startsWith('11 ignored: thermopost logs one JSON line')),
      noted.join('\n')
    )
    assert.ok(
      noted.some((note) => note.startsWith('8 ') && note.includes('mosquitto.db is not read')),
      noted.join('\n')
    )
  })

  test('with a conf.d/local.conf: its listeners, password_file and acl_file; README (not .conf) is not read', async (t) => {
    const dir = await layout(t, {
      'conf.d/README': conf_d_readme,
      'conf.d/local.conf': [
        'listener 1883',
        'listener 8883',
        'certfile /etc/mosquitto/certs/server.crt',
        'keyfile /etc/mosquitto/certs/server.key',
        'cafile /etc/mosquitto/ca_certificates/ca.crt',
        'listener 8080 127.0.0.1',
        'protocol websockets',
        'allow_anonymous false',
        'password_file /etc/mosquitto/passwd',
        'acl_file /etc/mosquitto/aclfile',
        ''
      ].join('\n')
    })
    await writeFile(join(dir, 'mosquitto.conf'), debianConf(dir))
    const { config, converted } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
    assert.deepEqual(config, {
      allow_anonymous: false,
      password_file: '/etc/mosquitto/passwd',
      acl_file: '/etc/mosquitto/aclfile',
      store: 'sqlite',
      data_dir: '/var/lib/mosquitto',
      listeners: [
        { protocol: 'mqtt', host: '::', port: 1883 },
        {
          protocol: 'mqtts',
          host: '::',
          port: 8883,
          cert: '/etc/mosquitto/certs/server.crt',
          key: '/etc/mosquitto/certs/server.key',
          cafile: '/etc/mosquitto/ca_certificates/ca.crt'
        },
        { protocol: 'ws', host: '127.0.0.1', port: 8080, path: '/mqtt' }
      ]
    })
    const origin = converted.origins.get('listeners[1].cert')
    assert.equal(`${origin?.file}:${origin?.line}`, `${join(dir, 'conf.d/local.conf')}:3`)
  })
})

test('include_dir reads its .conf files case-blind, upper case first where only the case differs', async (t) => {
  const dir = await layout(t, {
    'conf.d/b.conf': 'listener 4\n',
    'conf.d/B.conf': 'listener 3\n',
    'conf.d/a.conf': 'listener 2\n',
    'conf.d/A.conf': 'listener 1\n'
  })
  await writeFile(join(dir, 'mosquitto.conf'), `include_dir ${join(dir, 'conf.d')}\n`)
  const { config } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.deepEqual(
    config.listeners?.map((listener) => listener.port),
    [1, 2, 3, 4]
  )
})

test("the documentation's TLS example: client certificates, the CN as user name, TLS 1.2", async (t) => {
  const dir = await layout(t, {
    'mosquitto.conf': [
      '# mosquitto-tls(7): a listener that requires client certificates',
      'per_listener_settings false',
      'listener 8883',
      'cafile /etc/mosquitto/ca_certificates/ca.crt',
      'certfile /etc/mosquitto/certs/server.crt',
      'keyfile /etc/mosquitto/certs/server.key',
      'crlfile /etc/mosquitto/ca_certificates/ca.crl',
      'require_certificate true',
      'use_identity_as_username true',
      'tls_version tlsv1.2',
      'socket_domain ipv4',
      ''
    ].join('\n')
  })
  const { config } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.deepEqual(config.listeners, [
    {
      protocol: 'mqtts',
      host: '0.0.0.0',
      port: 8883,
      cafile: '/etc/mosquitto/ca_certificates/ca.crt',
      cert: '/etc/mosquitto/certs/server.crt',
      key: '/etc/mosquitto/certs/server.key',
      crlfile: '/etc/mosquitto/ca_certificates/ca.crl',
      require_certificate: true,
      use_identity_as_username: true
    }
  ])
  assert.equal(config.allow_anonymous, false, "Mosquitto 2's default once a listener is configured")
  assert.equal(config.store, 'memory', "Mosquitto's persistence defaults to false")
})

test('WebSockets with TLS is wss on /mqtt; the deprecated port and bind_address make the default listener next to the others', async (t) => {
  const dir = await layout(t, {
    'mosquitto.conf': [
      'port 1884',
      'bind_address 192.168.1.10',
      'listener 8084',
      'protocol websockets',
      'certfile /etc/mosquitto/certs/server.crt',
      'keyfile /etc/mosquitto/certs/server.key',
      ''
    ].join('\n')
  })
  const { config, notes } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.deepEqual(config.listeners, [
    { protocol: 'mqtt', host: '192.168.1.10', port: 1884 },
    {
      protocol: 'wss',
      host: '::',
      port: 8084,
      path: '/mqtt',
      cert: '/etc/mosquitto/certs/server.crt',
      key: '/etc/mosquitto/certs/server.key'
    }
  ])
  assert.ok(notes.some(({ origin, text }) => origin?.line === 3 && /path \/mqtt/.test(text)))
})

test('the limits: each maps to ours, 0 meaning no maximum; durations in seconds; one listener keeps its max_connections', async (t) => {
  const dir = await layout(t, {
    'mosquitto.conf': [
      'listener 1883',
      'max_connections -1',
      'max_inflight_messages 0',
      'max_queued_messages 0',
      'max_queued_bytes 1048576',
      'max_keepalive 300',
      'max_packet_size 0',
      'message_size_limit 1000',
      'max_topic_alias 10',
      'sys_interval 30',
      'queue_qos0_messages true',
      'persistent_client_expiration 2m',
      'memory_limit 0',
      'max_inflight_bytes 0',
      'retain_available true',
      'max_qos 2',
      ''
    ].join('\n')
  })
  const { config } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  const { listeners: _listeners, allow_anonymous: _anonymous, store: _store, ...limits } = config
  assert.deepEqual(limits, {
    max_connections: 10_000_000,
    max_inflight: 65_535,
    max_queued_messages: Number.MAX_SAFE_INTEGER,
    max_queued_bytes: 1_048_576,
    max_keepalive: 300,
    max_packet_size: 1000 + 5 + 2 + 65_535 + 2,
    topic_alias_maximum: 10,
    sys_interval: 30,
    queue_qos0: true,
    legacy_session_expiry: 2 * 30 * 86_400
  })
})

test('per_listener_settings true: allow_anonymous per listener; one password file shared by all is fine', async (t) => {
  const dir = await layout(t, {
    'mosquitto.conf': [
      'per_listener_settings true',
      'listener 1883 127.0.0.1',
      'allow_anonymous true',
      'password_file /etc/mosquitto/passwd',
      'listener 1884',
      'password_file /etc/mosquitto/passwd',
      ''
    ].join('\n')
  })
  const { config } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.equal(config.password_file, '/etc/mosquitto/passwd')
  assert.equal(config.allow_anonymous, undefined)
  assert.deepEqual(
    config.listeners?.map((listener) => listener.allow_anonymous),
    [true, false]
  )
})

test('per_listener_settings true without any listener: the local-only listener still lets anonymous clients in', async (t) => {
  const dir = await layout(t, { 'mosquitto.conf': 'per_listener_settings true\n' })
  const { config } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.deepEqual(config.listeners, [{ protocol: 'mqtt', host: '127.0.0.1', port: 1883, allow_anonymous: true }])
})

describe('what cannot be honoured stops with the file, the line and why', () => {
  const cases: Array<[string, string[], RegExp]> = [
    [
      'a bridge started only when messages wait',
      ['listener 1883', 'connection cloud', 'address broker.example.com:8883', 'start_type lazy', 'topic sensors/# out 1'],
      /:4: start_type lazy: thermopost starts every bridge with the broker and keeps it up \(automatic\)$/
    ],
    ['an unknown directive', ['listener 1883', 'max_inflight 5'], /:2: unknown directive 'max_inflight'$/],
    [
      'per_listener_settings with two password files',
      ['per_listener_settings true', 'listener 1883', 'password_file /a', 'listener 1884', 'password_file /b'],
      /:1: per_listener_settings true with a different password_file per listener \(line 2: \/a, line 4: \/b\)/
    ],
    ['a CA directory', ['listener 8883', 'certfile s.crt', 'keyfile s.key', 'capath /etc/ssl/certs'], /:4: capath: .*one cafile/],
    ['a unix socket', ['listener 0 /run/mosquitto.sock'], /:1: a listener on a unix socket/],
    ['a QoS cap', ['listener 1883', 'max_qos 1'], /:2: thermopost cannot limit a listener below QoS 2$/],
    [
      'a plugin',
      ['listener 1883', 'plugin /usr/lib/mosquitto_dynamic_security.so', 'plugin_opt_config_file /x.json'],
      /:2: plugin: .*\n.*:3: plugin_opt_config_file/
    ],
    [
      'max_connections on one of two listeners',
      ['listener 1883', 'max_connections 10', 'listener 1884'],
      /:2: max_connections limits one of 2 listeners/
    ],
    [
      'a certificate setting on a plain listener',
      ['listener 1883', 'require_certificate true'],
      /:2: require_certificate is for a TLS listener/
    ],
    ['a bad value', ['listener 1883', 'allow_anonymous yes'], /:2: allow_anonymous takes true or false, not 'yes'$/],
    ['a listener port out of range', ['listener 70000'], /:1: listener takes a whole number from 0 to 65535, not '70000'/]
  ]
  for (const [what, lines, expected] of cases) {
    test(what, async (t) => {
      const dir = await layout(t, { 'mosquitto.conf': `${lines.join('\n')}\n` })
      const message = await problemsOf(join(dir, 'mosquitto.conf'))
      assert.ok(message.startsWith(join(dir, 'mosquitto.conf')), message)
      assert.match(message, expected)
    })
  }

  test('every problem at once, in the order of the lines, across included files', async (t) => {
    const dir = await layout(t, { 'conf.d/local.conf': 'listener 1884\nmax_qos 0\ninclude_dir /etc\n' })
    await writeFile(join(dir, 'mosquitto.conf'), `listener 1883\nmount_point site/\ninclude_dir ${join(dir, 'conf.d')}\n`)
    const message = await problemsOf(join(dir, 'mosquitto.conf'))
    assert.match(message, /mosquitto\.conf:2: mount_point/)
    assert.match(message, /local\.conf:3: include_dir: is read only from the main configuration file/)
  })
})

test('the YAML printed for a conversion reads back as the same configuration, each key under its Mosquitto line', async (t) => {
  const dir = await layout(t, { 'conf.d/local.conf': 'listener 1883\npassword_file /etc/mosquitto/passwd\nmax_queued_messages 100\n' })
  await writeFile(join(dir, 'mosquitto.conf'), debianConf(dir))
  const file = join(dir, 'mosquitto.conf')
  const { config, notes, converted } = await readMosquittoBrokerConfig(file)
  const yaml = mosquittoYaml(file, config, { origins: converted.origins, notes })
  await writeFile(join(dir, 'thermopost.yaml'), yaml)
  assert.deepEqual((await readConfigFile(join(dir, 'thermopost.yaml'), brokerConfigSchema)).value, config)
  assert.match(yaml, new RegExp(`# ${join(dir, 'conf.d/local.conf')}:3: max_queued_messages 100\nmax_queued_messages: 100`))
  assert.match(yaml, /#\s+.*mosquitto\.conf:6 \(pid_file \/run\/mosquitto\/mosquitto.pid\): ignored/)
})
