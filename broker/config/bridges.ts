import { readFileSync } from 'node:fs'
import { z } from 'zod'
import type { ConfigProblem } from '../../common/config/config-problem.js'
import type { BridgeSettings, BridgeTopic } from '../bridge/bridge-settings.js'
import { parseFilter } from '../topics.js'

/**
 * The `bridges:` list of the broker's config file: each entry links this broker to a remote one and forwards
 * the topics it names (bridge/). The schema checks each key alone; `resolveBridges` checks what spans keys
 * (unique names, TLS keys for a TLS address, the environment's password, readable files) and reads the files.
 */

const seconds = z.number().positive()
const prefix = z.string().regex(/^[^#+]*$/, 'must not hold a wildcard (+ or #)')

const bridgeTopicSchema = z.strictObject({
  pattern: z.string(),
  direction: z.enum(['in', 'out', 'both']),
  qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  local_prefix: prefix.optional(),
  remote_prefix: prefix.optional()
})

const address = z.string().regex(/^(mqtts?|wss?):\/\/[^/]/, 'an mqtt://, mqtts://, ws:// or wss:// URL')

export const bridgeSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a name of letters, digits, dots, dashes and underscores (at most 64)'),
  address: z.union([address, z.array(address).min(1)]),
  /** 5 (the default) or 3.1.1, as YAML reads them. */
  protocol_version: z.union([z.literal(5), z.literal('3.1.1')]).optional(),
  client_id: z.string().min(1).max(65_535).optional(),
  clean_start: z.boolean().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  /** The environment variable that holds the password, so it need not be written in the file. */
  password_env: z.string().min(1).optional(),
  cafile: z.string().min(1).optional(),
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  insecure: z.boolean().optional(),
  keepalive: z.number().int().min(0).max(65_535).optional(),
  restart_delay: seconds.optional(),
  restart_delay_max: seconds.optional(),
  queue_max_messages: z.number().int().min(1).optional(),
  queue_max_bytes: z.number().int().min(1).optional(),
  topics: z.array(bridgeTopicSchema).min(1)
})

export type BridgeConfig = z.infer<typeof bridgeSchema>

export const bridgeDefaults = {
  keepalive: 60,
  restartDelay: 5,
  restartDelayMax: 30,
  queueMaxMessages: 100_000,
  queueMaxBytes: 64 * 1024 * 1024
} as const

/**
 * The bridges a config asks for, with every mistake found named by its key. `nodeName` (the host name) makes the
 * default client id at the remote: `<nodeName>-<bridge name>`.
 */
export function resolveBridges(
  entries: readonly BridgeConfig[] | undefined,
  nodeName: string,
  environment: NodeJS.ProcessEnv = process.env
): { bridges: BridgeSettings[]; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  const bridges: BridgeSettings[] = []
  const names = new Map<string, number>()
  for (const [index, entry] of (entries ?? []).entries()) {
    const path = ['bridges', index]
    const problem = (key: string | undefined, message: string): void => {
      problems.push({ path: key === undefined ? path : [...path, key], message })
    }
    const earlier = names.get(entry.name)
    if (earlier !== undefined) problem('name', `is already the name of bridges[${earlier}]`)
    names.set(entry.name, index)
    const addresses = typeof entry.address === 'string' ? [entry.address] : entry.address
    const password = passwordOf(entry, environment, problem)
    const tls = tlsOf(entry, addresses, problem)
    const topics = entry.topics.map((topic, topicIndex) =>
      topicOf(topic, (message) => problems.push({ path: [...path, 'topics', topicIndex], message }))
    )
    const restartDelay = entry.restart_delay ?? bridgeDefaults.restartDelay
    const restartDelayMax = entry.restart_delay_max ?? Math.max(restartDelay, bridgeDefaults.restartDelayMax)
    if (restartDelayMax < restartDelay) problem('restart_delay_max', `must be at least restart_delay (${restartDelay})`)
    if (entry.password !== undefined && entry.username === undefined && entry.protocol_version === '3.1.1')
      problem('password', 'needs a username with protocol_version 3.1.1') // [MQTT-3.1.2-22]
    bridges.push({
      name: entry.name,
      addresses,
      protocolVersion: entry.protocol_version === '3.1.1' ? 4 : 5,
      clientId: entry.client_id ?? `${nodeName}-${entry.name}`,
      cleanStart: entry.clean_start ?? false,
      username: entry.username,
      password,
      tls,
      keepalive: entry.keepalive ?? bridgeDefaults.keepalive,
      restartDelay,
      restartDelayMax,
      queueMaxMessages: entry.queue_max_messages ?? bridgeDefaults.queueMaxMessages,
      queueMaxBytes: entry.queue_max_bytes ?? bridgeDefaults.queueMaxBytes,
      topics: topics.filter((topic): topic is BridgeTopic => topic !== undefined)
    })
  }
  return { bridges, problems }
}

function passwordOf(
  entry: BridgeConfig,
  environment: NodeJS.ProcessEnv,
  problem: (key: string, message: string) => void
): string | undefined {
  if (entry.password_env === undefined) return entry.password
  if (entry.password !== undefined) problem('password_env', 'cannot be given with password: one of them says the password')
  const value = environment[entry.password_env]
  if (value === undefined) problem('password_env', `names ${entry.password_env}, which is not set in the environment`)
  return value
}

function tlsOf(entry: BridgeConfig, addresses: readonly string[], problem: (key: string, message: string) => void): BridgeSettings['tls'] {
  const usesTls = addresses.some((url) => url.startsWith('mqtts:') || url.startsWith('wss:'))
  const read = (key: 'cafile' | 'cert' | 'key'): Buffer | undefined => {
    const file = entry[key]
    if (file === undefined) return undefined
    if (!usesTls) {
      problem(key, 'is for mqtts:// and wss:// addresses')
      return undefined
    }
    try {
      return readFileSync(file)
    } catch (error) {
      problem(key, `cannot be read: ${(error as Error).message}`)
      return undefined
    }
  }
  if (entry.insecure !== undefined && !usesTls) problem('insecure', 'is for mqtts:// and wss:// addresses')
  if ((entry.cert === undefined) !== (entry.key === undefined))
    problem(entry.cert === undefined ? 'key' : 'cert', 'needs both cert and key')
  return { ca: read('cafile'), cert: read('cert'), key: read('key'), insecure: entry.insecure === true }
}

function topicOf(topic: BridgeConfig['topics'][number], problem: (message: string) => void): BridgeTopic | undefined {
  const localPrefix = topic.local_prefix ?? ''
  const remotePrefix = topic.remote_prefix ?? ''
  for (const [side, filter] of [
    ['local', localPrefix + topic.pattern],
    ['remote', remotePrefix + topic.pattern]
  ]) {
    const parsed = parseFilter(filter!, Infinity, 65_535)
    if (typeof parsed === 'string') {
      problem(`the ${side} filter '${filter}' ${parsed}`)
      return undefined
    }
    if (parsed.group !== undefined) {
      problem(`the ${side} filter '${filter}' is a shared subscription, which a bridge cannot forward`)
      return undefined
    }
  }
  return { pattern: topic.pattern, direction: topic.direction, qos: topic.qos ?? 0, localPrefix, remotePrefix }
}
