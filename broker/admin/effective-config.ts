import { configKeyOf } from '../config/broker-config-schema.js'
import type { BrokerOptions } from '../options.js'

/** Keys whose values are secrets in themselves: the admin token, a bridge's password at its remote. */
const SECRET_KEYS = new Set(['admin_token', 'password'])

const REDACTED = '[redacted]'

/**
 * The configuration in force, as `GET /api/config` shows it: the file's keys with the flags laid over them, every
 * broker option with its value (defaults included), and no secret: the admin token is redacted, and so are the
 * passwords in URLs (`redis://user:secret@host` → `redis://user:[redacted]@host`).
 */
export function effectiveConfig(config: Readonly<Record<string, unknown>>, options: Readonly<BrokerOptions>): Record<string, unknown> {
  const withDefaults = { ...Object.fromEntries(Object.entries(options).map(([key, value]) => [configKeyOf(key), value])), ...config }
  return redact(withDefaults) as Record<string, unknown>
}

function redact(value: unknown, key?: string): unknown {
  if (key !== undefined && SECRET_KEYS.has(key) && value !== undefined) return REDACTED
  if (typeof value === 'string') return redactedUrl(value)
  if (Array.isArray(value)) return value.map((item) => redact(item))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, name)]))
  }
  return value
}

/** A URL with the password of its user info redacted (the whole user info when it has no colon); any other string as it is. */
export function redactedUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_all, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':')
    return `${scheme}${colon < 0 ? REDACTED : `${userinfo.slice(0, colon)}:${REDACTED}`}@`
  })
}
