import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { brokerConfigSchema } from '../../../../broker/config/broker-config-schema.js'
import { readMosquittoBrokerConfig } from '../../../../broker/config/mosquitto/mosquitto-broker-config.js'
import { mosquittoYaml } from '../../../../broker/config/mosquitto/mosquitto-yaml.js'
import { readConfigFile } from '../../../../common/config/config-file.js'
import { layout, problemsOf } from '../../../helpers/mosquitto-conf-files.js'

/** Mosquitto's `connection` sections, as its documentation writes them, read as our `bridges:` list. */

test("the documentation's topic remapping example: 3.1.1, Mosquitto's client id, clean start, the prefixes", async (t) => {
  const dir = await layout(t, {
    'mosquitto.conf': [
      'listener 1883',
      'connection test-mosquitto-org',
      'address test.mosquitto.org',
      'cleansession true',
      'topic clients/total in 0 test/mosquitto/org/ $SYS/broker/',
      ''
    ].join('\n')
  })
  const { config, notes } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  assert.deepEqual(config.bridges, [
    {
      name: 'test-mosquitto-org',
      address: 'mqtt://test.mosquitto.org:1883',
      protocol_version: '3.1.1',
      client_id: `${hostname()}.test-mosquitto-org`,
      clean_start: true,
      topics: [{ pattern: 'clients/total', direction: 'in', qos: 0, local_prefix: 'test/mosquitto/org/', remote_prefix: '$SYS/broker/' }]
    }
  ])
  const noted = notes.map((note) => `${note.origin?.line}: ${note.text}`)
  assert.ok(
    noted.some((note) => note.startsWith(`2: client_id ${hostname()}.test-mosquitto-org at the remote`)),
    noted.join('\n')
  )
  assert.ok(noted.some((note) => note.startsWith('2: the state is published here at $SYS/broker/bridges/test-mosquitto-org/state')))
  assert.ok(noted.some((note) => note.startsWith('4: what waits for the remote is kept')))
})

const siteBridge = [
  'listener 1883',
  'allow_anonymous true',
  '',
  '# The site to the cloud, over TLS.',
  'connection cloud',
  'addresses cloud.example.com:8883 backup.example.com:8884',
  'round_robin true',
  'bridge_protocol_version mqttv50',
  'remote_clientid site-7',
  'local_clientid site-7-local',
  'cleansession false',
  'remote_username site7',
  'remote_password a long pass phrase',
  'bridge_cafile /etc/mosquitto/certs/cloud-ca.pem',
  'bridge_certfile /etc/mosquitto/certs/site7.crt',
  'bridge_keyfile /etc/mosquitto/certs/site7.key',
  'bridge_insecure false',
  'bridge_tls_version tlsv1.2',
  'keepalive_interval 30',
  'restart_timeout 2 60',
  'try_private false',
  'notifications false',
  'topic readings/# out 1 site/ sites/7/',
  'topic commands/# in 2 "" sites/7/',
  'topic status both',
  ''
]

test('every bridge directive with a counterpart, over TLS: each maps to its key, in the YAML under its Mosquitto line', async (t) => {
  const dir = await layout(t, { 'mosquitto.conf': siteBridge.join('\n') })
  const file = join(dir, 'mosquitto.conf')
  const { config, notes, converted } = await readMosquittoBrokerConfig(file)
  assert.deepEqual(config.bridges, [
    {
      name: 'cloud',
      address: ['mqtts://cloud.example.com:8883', 'mqtts://backup.example.com:8884'],
      protocol_version: 5,
      client_id: 'site-7',
      clean_start: false,
      username: 'site7',
      password: 'a long pass phrase',
      cafile: '/etc/mosquitto/certs/cloud-ca.pem',
      cert: '/etc/mosquitto/certs/site7.crt',
      key: '/etc/mosquitto/certs/site7.key',
      insecure: false,
      keepalive: 30,
      restart_delay: 2,
      restart_delay_max: 60,
      topics: [
        { pattern: 'readings/#', direction: 'out', qos: 1, local_prefix: 'site/', remote_prefix: 'sites/7/' },
        { pattern: 'commands/#', direction: 'in', qos: 2, remote_prefix: 'sites/7/' },
        { pattern: 'status', direction: 'both', qos: 0 }
      ]
    }
  ])
  const noted = notes.map((note) => `${note.origin?.line}: ${note.text}`)
  assert.ok(noted.some((note) => note.startsWith("10: ignored: the bridge's session on this broker is $bridge/<name>")))
  assert.ok(noted.some((note) => note.startsWith('22: the state is published here at $SYS/broker/bridges/cloud/state all the same')))
  assert.ok(!noted.some((note) => note.includes('round_robin true: thermopost does not go back')))
  const yaml = mosquittoYaml(file, config, { origins: converted.origins, notes })
  await writeFile(join(dir, 'thermopost.yaml'), yaml)
  assert.deepEqual((await readConfigFile(join(dir, 'thermopost.yaml'), brokerConfigSchema)).value, config)
  assert.match(yaml, new RegExp(`# ${file}:5: connection cloud\n\\s*- name: cloud`))
  assert.match(yaml, new RegExp(`# ${file}:20: restart_timeout 2 60\n\\s*restart_delay: 2`))
  assert.match(yaml, new RegExp(`# ${file}:24: topic commands/# in 2 "" sites/7/\n\\s*- pattern: commands/#`))
})

test("where Mosquitto's defaults work otherwise, a note says how: the first address, a constant restart wait, try_private", async (t) => {
  const lines = ['listener 1883', 'connection cloud', 'address [::1]:8883 10.0.0.2', 'restart_timeout 20', 'topic #', '']
  const dir = await layout(t, { 'mosquitto.conf': lines.join('\n').replace('[::1]', '::1') })
  const { config, notes } = await readMosquittoBrokerConfig(join(dir, 'mosquitto.conf'))
  const [bridge] = config.bridges!
  assert.deepEqual(bridge!.address, ['mqtt://[::1]:8883', 'mqtt://10.0.0.2:1883'])
  assert.deepEqual([bridge!.restart_delay, bridge!.restart_delay_max], [20, 20])
  assert.deepEqual(bridge!.topics, [{ pattern: '#', direction: 'out', qos: 0 }])
  const noted = notes.map((note) => `${note.origin?.line}: ${note.text}`)
  for (const expected of [
    '3: after a failure the next address is tried and kept while it works',
    '4: the wait is drawn between 10 and 20 s (jitter)',
    '2: no bridge flag in the CONNECT'
  ])
    assert.ok(
      noted.some((note) => note.startsWith(expected)),
      `${expected}\n${noted.join('\n')}`
    )
})

describe('a bridge line that cannot be honoured stops with the file, the line and why', () => {
  const bridge = (...lines: string[]): string[] => ['listener 1883', 'connection cloud', 'address cloud.example.com', ...lines]
  const cases: Array<[string, string[], RegExp]> = [
    [
      'a bridge line before any connection',
      ['listener 1883', 'address cloud.example.com'],
      /:2: address is a bridge's: it belongs after a connection line$/
    ],
    [
      'MQTT 3.1',
      bridge('bridge_protocol_version mqttv31', 'topic #'),
      /:4: bridge_protocol_version mqttv31: thermopost bridges speak mqttv311 or mqttv50$/
    ],
    ['a direction', bridge('topic a/# sideways'), /:4: topic a\/# sideways: the direction is in, out or both/],
    [
      'an empty pattern without both prefixes',
      bridge('topic "" in 1 local/'),
      /:4: .*an empty pattern needs both a local and a remote prefix$/
    ],
    [
      'a notification topic',
      bridge('notification_topic site/bridge', 'topic #'),
      /:4: notification_topic: .*\$SYS\/broker\/bridges\/<name>\/state only$/
    ],
    ['a CA directory', bridge('bridge_capath /etc/ssl/certs', 'topic #'), /:4: bridge_capath: .*one bridge_cafile/],
    ['pre-shared keys', bridge('bridge_identity site', 'bridge_psk 0a1b', 'topic #'), /:4: bridge_identity: .*\n.*:5: bridge_psk: /],
    ['no address', ['listener 1883', 'connection cloud', 'topic #'], /:2: connection cloud: a bridge needs an address line$/],
    ['no topic', bridge(), /:2: connection cloud: a bridge needs at least one topic line$/],
    [
      'a cap below the base',
      bridge('restart_timeout 30 10', 'topic #'),
      /:4: restart_timeout takes a number of seconds, or a base and a cap/
    ],
    ['a bad address', bridge('topic #').concat('address cloud:http'), /:5: address: 'cloud:http' is not host\[:port\]$/],
    ['a name we cannot use', ['listener 1883', 'connection site/7', 'address a', 'topic #'], /:2: bridges\[0\]\.name: /]
  ]
  for (const [what, lines, expected] of cases) {
    test(what, async (t) => {
      const dir = await layout(t, { 'mosquitto.conf': `${lines.join('\n')}\n` })
      assert.match(await problemsOf(join(dir, 'mosquitto.conf')), expected)
    })
  }
})
