import { z } from 'zod'
import { UsageError } from '../common/command-errors.js'
import { readCommandConfig } from '../common/config/command-config.js'
import { parseDuration } from '../common/config/duration.js'
import { BROKER_URL_HINT, notABrokerUrl } from '../common/link-flags.js'
import { adapterNames } from './adapters/index.js'
import { alertRuleConfigSchema, alertRulesOf } from './alert-rules-config.js'
import type { AlertRule } from './alerts/alert-rule.js'
import { HistoryOptionError, type HistoryTarget, parseHistoryOption } from './history-option.js'

/**
 * `thermopost service`'s configuration as a YAML file spells it (snake_case keys, strict); every key is also a
 * flag, its kebab-case spelling (`http_port` ↔ `--http-port`), and a flag wins over the file. `url` and
 * `adapters` take a list in the file; on the command line `--url` repeats and `--adapters` is comma-separated.
 * `alerts` (a list of rules, see alert-rules-config.ts) is a key of the file only.
 */
export const serviceConfigSchema = z.strictObject({
  url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  http_host: z.string().min(1).optional(),
  http_port: z.number().int().min(0).max(65535).optional(),
  data_dir: z.string().min(1).optional(),
  history: z.string().min(1).optional(),
  retention_raw: z.string().min(1).optional(),
  api_token: z.string().optional(),
  api_open: z.boolean().optional(),
  adapters: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** The MQTT client id: stable across restarts (the broker keeps the session), distinct per instance. */
  client_id: z.string().min(1).max(256).optional(),
  /** Where alerts are POSTed as JSON when raised, acknowledged and cleared. */
  webhook_url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  alerts: z.array(alertRuleConfigSchema).optional(),
  /** The broker's admin listener, for the dashboard's Broker page: the service relays its API. */
  broker_admin_url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  broker_admin_token: z.string().min(16).optional(),
  /** A file holding that token (the broker's <data_dir>/admin-token). */
  broker_admin_token_file: z.string().min(1).optional(),
  /** Runs the Sparkplug B primary host application (true by default). */
  sparkplug: z.boolean().optional(),
  /** Its host id: the STATE topic is spBv1.0/STATE/{id}. */
  sparkplug_host_id: z
    .string()
    .regex(/^[^/+#]+$/, 'must be one topic level, without / + or #')
    .optional()
})

type ServiceConfig = z.infer<typeof serviceConfigSchema>

export interface ServiceSettings {
  urls: string[]
  username?: string
  password?: string
  httpHost: string
  /** 0 picks a free port. */
  httpPort: number
  dataDir: string
  history: HistoryTarget
  retentionRawMs: number
  /** From the flag, THERMOPOST_API_TOKEN or the file; absent: the data directory's api-token file. */
  apiToken?: string
  apiOpen: boolean
  /** Absent: every adapter. */
  adapters?: string[]
  clientId: string
  webhookUrl?: string
  alertRules: AlertRule[]
  /** The Sparkplug host id; absent: no Sparkplug host application. */
  sparkplugHostId?: string
  /** The broker's admin API and its token (or the file holding it); absent: no Broker page. */
  brokerAdmin?: { url: string; token: string | { file: string } }
}

const HOUR = 3_600_000

/**
 * The settings from the flags, the environment (THERMOPOST_MQTT_PASSWORD, THERMOPOST_API_TOKEN,
 * THERMOPOST_BROKER_ADMIN_TOKEN: secrets kept out of the process list) and the config file. A mistake in a flag is a UsageError naming it, one in the file a
 * CommandError naming the file's line; `undefined` means --help was asked.
 */
export async function serviceSettingsFrom(args: string[], env: NodeJS.ProcessEnv): Promise<ServiceSettings | undefined> {
  const read = await readCommandConfig(args, serviceConfigSchema, { switches: new Set(['api_open']), repeatable: ['url'] })
  if (read === undefined) return undefined
  const { config, fromFlags, file } = read
  const problem = (key: keyof ServiceConfig, message: string): Error => read.problem(key, message)

  const urls = [config.url ?? 'mqtt://127.0.0.1:1883'].flat()
  const badUrl = notABrokerUrl(urls)
  if (badUrl !== undefined) throw problem('url', `${BROKER_URL_HINT}, not '${badUrl}'`)
  const password = config.password ?? env.THERMOPOST_MQTT_PASSWORD
  if (password !== undefined && config.username === undefined)
    throw problem('password', 'needs --username (a password alone logs nobody in)')
  const dataDir = config.data_dir ?? './data'
  let history: HistoryTarget
  try {
    history = parseHistoryOption(config.history, dataDir)
  } catch (error) {
    if (error instanceof HistoryOptionError) throw problem('history', error.message)
    throw error
  }
  const retentionRawMs = parseDuration(config.retention_raw ?? '30d')
  if (retentionRawMs === undefined || retentionRawMs < HOUR)
    throw problem('retention_raw', `must be a time of at least 1h, like 30d, 12h or 90m, not '${config.retention_raw}'`)
  const adapters =
    config.adapters === undefined
      ? undefined
      : [config.adapters]
          .flat()
          .flatMap((list) => list.split(','))
          .map((name) => name.trim())
  const unknown = adapters?.find((name) => !adapterNames.includes(name))
  if (unknown !== undefined) throw problem('adapters', `has no adapter '${unknown}'; the adapters are ${adapterNames.join(', ')}`)
  const apiToken = fromFlags.api_token ?? env.THERMOPOST_API_TOKEN ?? file?.value.api_token
  if (apiToken !== undefined && apiToken.length < 16) {
    if (fromFlags.api_token === undefined && env.THERMOPOST_API_TOKEN !== undefined)
      throw new UsageError('THERMOPOST_API_TOKEN must be at least 16 characters')
    throw problem('api_token', 'must be at least 16 characters (a generated one has 43)')
  }
  const brokerAdmin = brokerAdminOf(config, env, problem)
  return {
    urls,
    ...(config.username === undefined ? {} : { username: config.username }),
    ...(password === undefined ? {} : { password }),
    httpHost: config.http_host ?? '127.0.0.1',
    httpPort: config.http_port ?? 8080,
    dataDir,
    history,
    retentionRawMs,
    ...(apiToken === undefined ? {} : { apiToken }),
    apiOpen: config.api_open === true,
    ...(adapters === undefined ? {} : { adapters }),
    clientId: config.client_id ?? 'thermopost-service',
    ...(config.webhook_url === undefined ? {} : { webhookUrl: config.webhook_url }),
    alertRules: alertRulesOf(config.alerts ?? []),
    ...(config.sparkplug === false ? {} : { sparkplugHostId: config.sparkplug_host_id ?? 'thermopost' }),
    ...(brokerAdmin === undefined ? {} : { brokerAdmin })
  }
}

/** The admin API's URL with one token: given (flag, THERMOPOST_BROKER_ADMIN_TOKEN, file) or in a token file. */
function brokerAdminOf(
  config: ServiceConfig,
  env: NodeJS.ProcessEnv,
  problem: (key: keyof ServiceConfig, message: string) => Error
): ServiceSettings['brokerAdmin'] {
  const token = config.broker_admin_token ?? env.THERMOPOST_BROKER_ADMIN_TOKEN
  const tokenFile = config.broker_admin_token_file
  const url = config.broker_admin_url
  if (url === undefined) {
    if (config.broker_admin_token !== undefined || tokenFile !== undefined)
      throw problem(config.broker_admin_token === undefined ? 'broker_admin_token_file' : 'broker_admin_token', 'needs --broker-admin-url')
    return undefined
  }
  if (token !== undefined && tokenFile !== undefined)
    throw problem('broker_admin_token_file', 'cannot be given with --broker-admin-token (or THERMOPOST_BROKER_ADMIN_TOKEN): one token')
  if (token === undefined && tokenFile === undefined)
    throw problem('broker_admin_url', 'needs --broker-admin-token (better THERMOPOST_BROKER_ADMIN_TOKEN) or --broker-admin-token-file')
  if (token !== undefined && token.length < 16) throw new UsageError('THERMOPOST_BROKER_ADMIN_TOKEN must be at least 16 characters')
  return { url, token: token ?? { file: tokenFile! } }
}
