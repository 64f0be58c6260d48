import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { BrokerConfig } from '../../../broker/config/broker-config-schema.js'
import { resolveListeners } from '../../../broker/config/listeners.js'

/** Which listeners a config opens, with what settings, and the safe anonymous default. */

function specs(config: BrokerConfig, fromConfigFile = false): Array<Record<string, unknown>> {
  const { listeners, problems } = resolveListeners(config, fromConfigFile)
  assert.deepEqual(problems, [])
  return listeners.map(({ spec }) => ({ ...spec }))
}

function problems(config: BrokerConfig): string[] {
  return resolveListeners(config, true).problems.map(({ path, message }) => `${path.join('.')}: ${message}`)
}

const tls = { cert: 's.pem', key: 's.key' }

describe('listeners from the config', () => {
  test('nothing configured: one mqtt listener on 127.0.0.1:1883 that lets anonymous clients in', () => {
    assert.deepEqual(specs({}), [{ protocol: 'mqtt', host: '127.0.0.1', port: 1883, allowAnonymous: true }])
  })

  test('off loopback, anonymous clients are refused unless allowed explicitly', () => {
    assert.equal(specs({ host: '0.0.0.0' })[0]!.allowAnonymous, false)
    assert.equal(specs({ host: '::' })[0]!.allowAnonymous, false)
    assert.equal(specs({ host: '0.0.0.0', allow_anonymous: true })[0]!.allowAnonymous, true)
  })

  test('a password file, client certificates or a config file turn anonymous access off, even on loopback', () => {
    assert.equal(specs({ password_file: 'users' })[0]!.allowAnonymous, false)
    assert.equal(specs({}, true)[0]!.allowAnonymous, false)
    const withCertificates = specs({ tls_port: 8883, ...tls, cafile: 'ca.pem', require_certificate: true })
    assert.deepEqual(
      withCertificates.map((spec) => spec.allowAnonymous),
      [false, false]
    )
  })

  test('each listener has its own settings; the top-level ones are the defaults', () => {
    const listeners = specs(
      {
        host: '0.0.0.0',
        ...tls,
        allow_anonymous: false,
        listeners: [
          { protocol: 'mqtt', port: 1883, host: '127.0.0.1', allow_anonymous: true },
          { protocol: 'mqtt', port: 1884 },
          { protocol: 'mqtts', port: 8883, cafile: 'ca.pem', use_identity_as_username: true },
          { protocol: 'mqtts', port: 8884, cert: 'other.pem', key: 'other.key' },
          { protocol: 'ws', port: 8083, path: '/ws' },
          { protocol: 'wss', port: 8084 }
        ]
      },
      true
    )
    assert.deepEqual(listeners, [
      { protocol: 'mqtt', host: '127.0.0.1', port: 1883, allowAnonymous: true },
      { protocol: 'mqtt', host: '0.0.0.0', port: 1884, allowAnonymous: false },
      {
        protocol: 'mqtts',
        host: '0.0.0.0',
        port: 8883,
        allowAnonymous: false,
        tls: { cert: 's.pem', key: 's.key', cafile: 'ca.pem', crlfile: undefined, requireCertificate: true, useIdentityAsUsername: true }
      },
      {
        protocol: 'mqtts',
        host: '0.0.0.0',
        port: 8884,
        allowAnonymous: false,
        tls: {
          cert: 'other.pem',
          key: 'other.key',
          cafile: undefined,
          crlfile: undefined,
          requireCertificate: false,
          useIdentityAsUsername: false
        }
      },
      { protocol: 'ws', host: '0.0.0.0', port: 8083, path: '/ws', allowAnonymous: false },
      {
        protocol: 'wss',
        host: '0.0.0.0',
        port: 8084,
        path: '/mqtt',
        allowAnonymous: false,
        tls: { cert: 's.pem', key: 's.key', cafile: undefined, crlfile: undefined, requireCertificate: false, useIdentityAsUsername: false }
      }
    ])
  })

  test('a listeners list replaces the default mqtt listener; port, tls_port, ws_port and wss_port add theirs', () => {
    const onlyWs = specs({ listeners: [{ protocol: 'ws', port: 9001 }] })
    assert.deepEqual(
      onlyWs.map((spec) => `${String(spec.protocol)}:${String(spec.port)}`),
      ['ws:9001']
    )
    const added = specs({ listeners: [{ protocol: 'ws', port: 9001 }], port: 1883, tls_port: 8883, ws_port: 8083, wss_port: 8084, ...tls })
    assert.deepEqual(
      added.map((spec) => `${String(spec.protocol)}:${String(spec.port)}`),
      ['ws:9001', 'mqtt:1883', 'mqtts:8883', 'ws:8083', 'wss:8084']
    )
  })

  test('settings that do not fit together are reported at their key', () => {
    assert.deepEqual(problems({ cert: 'a.pem', key: 'a.key' }), [
      'cert: is for TLS listeners: add tls_port, wss_port or a listener with protocol mqtts or wss',
      'key: is for TLS listeners: add tls_port, wss_port or a listener with protocol mqtts or wss'
    ])
    assert.deepEqual(problems({ listeners: [{ protocol: 'mqtts', port: 8883 }] }), [
      'listeners.0: needs cert and key, on the listener or at the top level, for mqtts'
    ])
    assert.deepEqual(problems({ listeners: [{ protocol: 'mqtt', port: 1883, cafile: 'ca.pem' }], tls_port: 8883, ...tls }), [
      'listeners.0.cafile: is for mqtts and wss listeners, not mqtt'
    ])
    assert.deepEqual(problems({ listeners: [{ protocol: 'mqtts', port: 8883, ...tls, require_certificate: true }] }), [
      'listeners.0: client certificates (require-certificate, use-identity-as-username) need a cafile to verify them against'
    ])
    assert.deepEqual(problems({ listeners: [{ protocol: 'mqtt', port: 1883, path: '/mqtt' }] }), [
      'listeners.0.path: is for ws and wss listeners, not mqtt'
    ])
    assert.deepEqual(
      problems({
        listeners: [
          { protocol: 'mqtt', port: 1883 },
          { protocol: 'ws', port: 1883 }
        ]
      }),
      ['listeners.1: 127.0.0.1:1883 is already a listener (listeners.0)']
    )
  })
})
