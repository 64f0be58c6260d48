import { UsageError } from './command-errors.js'
import { parseDuration } from './config/duration.js'

/**
 * The flags every MQTT client command shares (simulate, agent): where the brokers are and how to log in.
 * The password may come from THERMOPOST_MQTT_PASSWORD instead of --password, so it need not appear in
 * the process list (which every user of the machine can read); `thermopost start` passes it that way.
 */
export const linkFlagOptions = {
  url: { type: 'string', multiple: true },
  username: { type: 'string' },
  password: { type: 'string' },
  'mqtt-version': { type: 'string', default: '5' }
} as const

export const linkFlagsUsage = `  --url URL            a broker to connect to (default mqtt://127.0.0.1:1883); repeat it for a list to
                       fail over through
  --username U --password P
                       the MQTT login; the password may come from THERMOPOST_MQTT_PASSWORD instead
  --mqtt-version V     5 (default) or 3.1.1`

export interface LinkSettings {
  urls: string[]
  mqttVersion: 4 | 5
  username: string | undefined
  password: string | undefined
}

/** The first URL that is not a broker's (mqtt://, mqtts://, ws://, wss:// and a host), or undefined. */
export function notABrokerUrl(urls: readonly string[]): string | undefined {
  return urls.find((url) => !/^(mqtts?|wss?):\/\/[^/]+/.test(url))
}

export const BROKER_URL_HINT = 'must look like mqtt://HOST:PORT (or mqtts://, ws://, wss://)'

export function linkSettingsFrom(values: { url?: string[]; username?: string; password?: string; 'mqtt-version'?: string }): LinkSettings {
  const urls = values.url ?? ['mqtt://127.0.0.1:1883']
  const bad = notABrokerUrl(urls)
  if (bad !== undefined) throw new UsageError(`--url ${BROKER_URL_HINT}, not '${bad}'`)
  const version = values['mqtt-version'] ?? '5'
  if (version !== '5' && version !== '3.1.1') throw new UsageError(`--mqtt-version must be 5 or 3.1.1, not '${version}'`)
  const password = values.password ?? process.env.THERMOPOST_MQTT_PASSWORD
  if ((values.username === undefined) !== (password === undefined))
    throw new UsageError('--username and --password (or THERMOPOST_MQTT_PASSWORD) go together')
  return { urls, mqttVersion: version === '5' ? 5 : 4, username: values.username, password }
}

/** `10s`, `500ms`, `2m`, or a bare number of seconds, from `min` to `max` seconds. */
export function durationSeconds(text: string, flag: string, min: number, max = Infinity): number {
  const seconds = (parseDuration(text) ?? NaN) / 1000
  if (!(seconds >= min && seconds <= max)) {
    const range = max === Infinity ? `of at least ${min * 1000}ms` : `from ${min * 1000}ms to ${max}s`
    throw new UsageError(`${flag} must be a time ${range}, like 10s, 500ms or 1m, not '${text}'`)
  }
  return seconds
}
