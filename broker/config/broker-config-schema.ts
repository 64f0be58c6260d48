import { z } from 'zod'
import { NODE_ID_PATTERN } from '../cluster/cluster-keys.js'
import { type BrokerOptions, brokerOptionRanges, defaultBrokerOptions, sessionOwnerMismatchChoices } from '../options.js'
import { parseRedisUrl, RedisUrlError } from '../store/redis-url.js'
import { bridgeSchema } from './bridges.js'

/**
 * The broker's configuration, as the YAML file spells it (snake_case keys). Every top-level key but
 * `listeners` is also a command-line flag: its kebab-case spelling (`require_certificate` ↔
 * `--require-certificate`). Strict: an unknown key is an error, not something silently ignored.
 * Sizes are bytes and durations seconds, as in BrokerOptions.
 */

const port = z.number().int().min(0).max(65535)
const file = z.string().min(1)

/** A Redis URL of a form the store takes (store/redis-url.ts); the message names the part that is wrong. */
export const redisUrl = z.string().superRefine((url, context) => {
  try {
    parseRedisUrl(url)
  } catch (error) {
    if (!(error instanceof RedisUrlError)) throw error
    context.addIssue({ code: 'custom', message: error.problem })
  }
})

const tlsKeys = {
  cert: file.optional(),
  key: file.optional(),
  cafile: file.optional(),
  crlfile: file.optional(),
  require_certificate: z.boolean().optional(),
  use_identity_as_username: z.boolean().optional()
}

/** The TLS keys: on a listener, or at the top level as the default of every TLS listener. */
export const tlsKeyNames = Object.keys(tlsKeys) as Array<keyof typeof tlsKeys>

export const listenerSchema = z.strictObject({
  protocol: z.enum(['mqtt', 'mqtts', 'ws', 'wss']),
  host: z.string().min(1).optional(),
  port,
  /** ws and wss only: the HTTP path clients upgrade on. */
  path: z.string().startsWith('/').optional(),
  allow_anonymous: z.boolean().optional(),
  ...tlsKeys
})

export type ListenerConfig = z.infer<typeof listenerSchema>

/** BrokerOptions' camelCase key as a config key: maxInflight ↔ max_inflight. */
export function configKeyOf(optionKey: string): string {
  return optionKey.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)
}

/** The option keys of BrokerOptions by config key. */
export const brokerOptionKeys = new Map<string, keyof BrokerOptions>(
  (Object.keys(defaultBrokerOptions) as Array<keyof BrokerOptions>).map((key) => [configKeyOf(key), key])
)

function optionSchema(key: keyof BrokerOptions): z.ZodType {
  // Who may resume a session: see BrokerOptions.sessionOwnerMismatch.
  if (key === 'sessionOwnerMismatch') return z.enum(sessionOwnerMismatchChoices).optional()
  if (typeof defaultBrokerOptions[key] === 'boolean') return z.boolean().optional()
  const [min, max] = brokerOptionRanges[key] ?? [0, Number.MAX_SAFE_INTEGER]
  return z.number().int().min(min).max(max).optional()
}

export const brokerConfigSchema = z.strictObject({
  /** Default address of every listener that names none. */
  host: z.string().min(1).optional(),
  /** The plain MQTT listener (1883 when no listener is configured at all). */
  port: port.optional(),
  /** An mqtts listener, with the top-level TLS keys. */
  tls_port: port.optional(),
  ws_port: port.optional(),
  /** A wss listener, with the top-level TLS keys. */
  wss_port: port.optional(),
  ...tlsKeys,
  allow_anonymous: z.boolean().optional(),
  password_file: file.optional(),
  acl_file: file.optional(),
  data_dir: file.optional(),
  store: z.enum(['sqlite', 'memory', 'redis']).optional(),
  /** The Redis of `store: redis`: redis://, rediss://, redis+sentinel:// or redis-cluster://. */
  redis_url: redisUrl.optional(),
  /** Put before every key of `store: redis`, so several brokers (or clusters) can share one Redis. */
  redis_key_prefix: z.string().optional(),
  /** Makes the broker a cluster node on this Redis (any form redis_url takes), which is then also its store. */
  cluster: redisUrl.optional(),
  /** The node's name in the cluster (default: host name and port); letters, digits and . _ - only. */
  node_id: z.string().regex(NODE_ID_PATTERN, 'a name of letters, digits, dots, dashes and underscores (at most 64)').optional(),
  listeners: z.array(listenerSchema).min(1).optional(),
  /** The admin HTTP listener: GET /metrics and the admin API under /api (none unless given; 0 picks a free port). */
  admin_port: port.optional(),
  /** The admin listener's address (default 127.0.0.1). */
  admin_host: z.string().min(1).optional(),
  /** The admin listener's bearer token; default: <data_dir>/admin-token, generated on the first start. */
  admin_token: z.string().min(16).optional(),
  /** GET /metrics without the token (default: only when admin_host is a loopback address). */
  admin_metrics_open: z.boolean().optional(),
  /** Links to remote brokers and the topics they forward (config/bridges.ts). */
  bridges: z.array(bridgeSchema).optional(),
  ...Object.fromEntries([...brokerOptionKeys].map(([configKey, optionKey]) => [configKey, optionSchema(optionKey)]))
})

/**
 * A validated config: the file's keys with the flags laid over them. The broker options are typed loosely
 * by the spread above, so they are read through `brokerOptionsOf`.
 */
export type BrokerConfig = z.infer<typeof brokerConfigSchema>

/** The BrokerOptions a config sets (the rest keep their defaults). */
export function brokerOptionsOf(config: BrokerConfig): Partial<BrokerOptions> {
  const options: Partial<Record<keyof BrokerOptions, unknown>> = {}
  for (const [configKey, optionKey] of brokerOptionKeys) {
    const value = (config as Record<string, unknown>)[configKey]
    if (value !== undefined) options[optionKey] = value
  }
  return options as Partial<BrokerOptions>
}
