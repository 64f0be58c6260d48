import type { ConfigProblem } from '../../common/config/config-problem.js'
import { isLoopback } from '../../common/loopback.js'
import type { ListenerSpec } from '../listeners/listener-spec.js'
import { type TlsSettings, tlsSettingsProblem } from '../listeners/tls.js'
import { type BrokerConfig, type ListenerConfig, tlsKeyNames } from './broker-config-schema.js'

export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 1883

export interface ResolvedListener {
  spec: ListenerSpec & { allowAnonymous: boolean }
  /** Where the config says it, for messages: `['listeners', 2]` or `['tls_port']`. */
  path: Array<string | number>
}

/**
 * The listeners a config asks for, each with its settings worked out:
 * - the `listeners` list, plus one listener for each of `port` (mqtt), `tls_port` (mqtts), `ws_port` and
 *   `wss_port`; without a list, the mqtt listener is there on 1883 even when `port` is not given;
 * - a listener without its own `host`, TLS files or allow_anonymous takes the top-level ones;
 * - allow_anonymous, when nobody set it, follows Mosquitto 2: on, only while no authentication is configured
 *   at all (no password file, no client certificates, no config file) and only on a loopback address.
 */
export function resolveListeners(
  config: BrokerConfig,
  fromConfigFile: boolean
): { listeners: ResolvedListener[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  const entries: Array<{ entry: ListenerConfig; path: Array<string | number> }> = (config.listeners ?? []).map((entry, index) => ({
    entry,
    path: ['listeners', index]
  }))
  if (config.port !== undefined || config.listeners === undefined) {
    entries.push({ entry: { protocol: 'mqtt', port: config.port ?? DEFAULT_PORT }, path: ['port'] })
  }
  for (const [key, protocol] of [
    ['tls_port', 'mqtts'],
    ['ws_port', 'ws'],
    ['wss_port', 'wss']
  ] as const) {
    const port = config[key]
    if (port !== undefined) entries.push({ entry: { protocol, port }, path: [key] })
  }

  const usesTls = entries.some(({ entry }) => isTls(entry.protocol))
  if (!usesTls) {
    for (const key of tlsKeyNames) {
      if (config[key] !== undefined)
        problems.push({ path: [key], message: 'is for TLS listeners: add tls_port, wss_port or a listener with protocol mqtts or wss' })
    }
  }
  const withTls = entries.map(({ entry, path }) => ({
    entry,
    path,
    tls: isTls(entry.protocol) ? tlsSettingsFor(entry, config, path, problems) : undefined
  }))
  const certificatesRequired = withTls.some(({ tls }) => tls?.requireCertificate === true)
  const authConfigured = fromConfigFile || config.password_file !== undefined || certificatesRequired

  const listeners: ResolvedListener[] = []
  const taken = new Map<string, Array<string | number>>()
  for (const { entry, path, tls } of withTls) {
    for (const key of tlsKeyNames) {
      if (!isTls(entry.protocol) && entry[key] !== undefined)
        problems.push({ path: [...path, key], message: `is for mqtts and wss listeners, not ${entry.protocol}` })
    }
    if (entry.path !== undefined && entry.protocol !== 'ws' && entry.protocol !== 'wss') {
      problems.push({ path: [...path, 'path'], message: `is for ws and wss listeners, not ${entry.protocol}` })
    }
    const host = entry.host ?? config.host ?? DEFAULT_HOST
    const address = `${host}:${entry.port}`
    const other = taken.get(address)
    if (entry.port !== 0 && other !== undefined) problems.push({ path, message: `${address} is already a listener (${other.join('.')})` })
    taken.set(address, path)
    const allowAnonymous = entry.allow_anonymous ?? config.allow_anonymous ?? (!authConfigured && isLoopback(host))
    const common = { host, port: entry.port, allowAnonymous }
    if (tls === undefined && isTls(entry.protocol)) continue // its problem is reported
    const spec: ResolvedListener['spec'] =
      entry.protocol === 'mqtt'
        ? { ...common, protocol: 'mqtt' }
        : entry.protocol === 'ws'
          ? { ...common, protocol: 'ws', path: entry.path ?? '/mqtt' }
          : entry.protocol === 'mqtts'
            ? { ...common, protocol: 'mqtts', tls: tls! }
            : { ...common, protocol: 'wss', path: entry.path ?? '/mqtt', tls: tls! }
    listeners.push({ spec, path })
  }
  return { listeners, problems }
}

function isTls(protocol: ListenerConfig['protocol']): boolean {
  return protocol === 'mqtts' || protocol === 'wss'
}

function tlsSettingsFor(
  entry: ListenerConfig,
  config: BrokerConfig,
  path: Array<string | number>,
  problems: ConfigProblem[]
): TlsSettings | undefined {
  const pick = <K extends (typeof tlsKeyNames)[number]>(key: K): ListenerConfig[K] => entry[key] ?? (config[key] as ListenerConfig[K])
  const cert = pick('cert')
  const key = pick('key')
  if (cert === undefined || key === undefined) {
    problems.push({ path, message: `needs cert and key, on the listener or at the top level, for ${entry.protocol}` })
    return undefined
  }
  const useIdentityAsUsername = pick('use_identity_as_username') === true
  const settings: TlsSettings = {
    cert,
    key,
    cafile: pick('cafile'),
    crlfile: pick('crlfile'),
    requireCertificate: pick('require_certificate') === true || useIdentityAsUsername,
    useIdentityAsUsername
  }
  const problem = tlsSettingsProblem(settings)
  if (problem !== undefined) {
    problems.push({ path, message: problem })
    return undefined
  }
  return settings
}
