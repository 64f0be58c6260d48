import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import type { Logger } from 'pino'
import { closeOnSignals } from '../common/close-on-signals.js'
import { CommandError, UsageError } from '../common/command-errors.js'
import { readCommandConfig } from '../common/config/command-config.js'
import { ConfigFileError } from '../common/config/config-file.js'
import { flagOf } from '../common/config/config-flags.js'
import type { ConfigProblem } from '../common/config/config-problem.js'
import { createLogger } from '../common/log.js'
import { isLoopback } from '../common/loopback.js'
import { AclParseError } from './auth/acl.js'
import { configureAuth } from './auth/configure-auth.js'
import type { AuthHooks } from './auth/hooks.js'
import { PasswordFileError } from './auth/passwords.js'
import type { BridgeSettings } from './bridge/bridge-settings.js'
import { Broker } from './broker.js'
import type { ClusterBrokerParts } from './cluster/cluster-broker-parts.js'
import { resolveBridges } from './config/bridges.js'
import { type BrokerConfig, brokerConfigSchema, brokerOptionsOf } from './config/broker-config-schema.js'
import { resolveCluster } from './config/cluster.js'
import { type ResolvedListener, resolveListeners } from './config/listeners.js'
import { mosquittoConfFlag, withMosquittoConf } from './config/mosquitto/with-mosquitto-conf.js'
import { readTlsContext, TlsFileError } from './listeners/tls.js'
import { type BrokerOptions, defaultBrokerOptions } from './options.js'
import { MemoryStore } from './store/memory.js'
import { SqliteStore } from './store/sqlite.js'
import { recoverDatabase } from './store/sqlite-recover.js'
import type { Store } from './store/store.js'
import { StoreOpenError } from './store/store-open-error.js'

/** Boolean keys that are bare flags; the other booleans take true or false. */
const switches = new Set(['require_certificate', 'use_identity_as_username'])

export const brokerUsage = `Usage: thermopost broker [--config FILE | --mosquitto-conf FILE] [--host HOST] [--port PORT] [--data-dir DIR] [--store sqlite|memory|redis] [--redis-url URL] [--redis-key-prefix P] [--cluster URL --node-id NAME] [--recover] [--<option> VALUE ...]

Runs the MQTT broker in the foreground until SIGINT or SIGTERM. Every flag but --config, --mosquitto-conf, --section, --recover
and --help is also a key of the config file, in snake_case (--max-inflight ↔ max_inflight); a flag wins over the file.
  --config FILE      a YAML config file (see the README); it can also hold several listeners of each kind
  --section NAME     read only that top-level key of the file (the all-in-one thermopost.yaml has a 'broker' section)
  --mosquitto-conf FILE
                     read a Mosquitto 2.x mosquitto.conf (and its include_dir) instead; a directive that cannot be
                     honoured stops start-up with its file and line (thermopost convert-mosquitto-conf prints the YAML)
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        TCP port (default 1883; 0 picks a free port, and the log line says which)
  --data-dir DIR     where the durable store keeps broker.db (default ./data)
  --store KIND       sqlite (default: sessions, queues and retained messages survive a crash)
                     or memory (nothing survives the process)
                     or redis (state in the Redis at --redis-url; run it with appendonly yes and
                     appendfsync always, or acknowledged messages can be lost: start-up warns)
  --redis-url URL    for --store redis: redis://[USER:PASSWORD@]HOST:PORT[/DB] (rediss:// for TLS),
                     redis+sentinel://[PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER_NAME[/DB] (the Sentinels),
                     or redis-cluster://HOST:PORT[,HOST:PORT...] (seed nodes of a Redis Cluster)
  --redis-key-prefix P
                     put before every key the store writes (default none), so several brokers can share a Redis
  --cluster URL      run as a node of the cluster that shares this Redis (any --redis-url form): its store,
                     under --redis-key-prefix when given,
                     and the way messages reach subscribers on the other nodes; same durability advice
  --node-id NAME     this node's name in the cluster (default: host name and port)
  --recover          if broker.db is damaged, move it aside, salvage what can be read, and start
  --password-file F  users and password hashes (thermopost passwd F add USER; mosquitto_passwd files too)
  --acl-file F       who may publish and subscribe where (Mosquitto's acl_file format); default deny
  --allow-anonymous true|false
                     let clients without a user name in; default: only on a loopback address, and only
                     without a password file, client certificates or a config file. SIGHUP re-reads the
                     password and ACL files.

TLS (an mqtts listener on --host next to the plain one; SIGHUP re-reads these files too):
  --tls-port PORT    TLS port (8883 is usual; 0 picks a free one); needs --cert and --key
  --cert F --key F   the server's certificate (PEM, chain after it) and its private key
  --cafile F         CA certificates that client certificates are verified against
  --crlfile F        revoked client certificates (PEM CRL from each CA in the chain)
  --require-certificate
                     refuse clients without a certificate that verifies against --cafile (and --crlfile)
  --use-identity-as-username
                     the client certificate's CN (or first SAN) is the user name; implies
                     --require-certificate; such clients need no password

WebSocket (MQTT over WebSocket on path /mqtt, on --host):
  --ws-port PORT     plain ws:// port (8083 is usual; 0 picks a free one)
  --wss-port PORT    wss:// port (8084 is usual); TLS 1.2+ with the TLS flags above (needs --cert and --key)

Admin (Prometheus metrics and the admin API over HTTP; see the README's Operations section):
  --admin-port PORT  GET /metrics and the admin API under /api (0 picks a free port); none unless given
  --admin-host HOST  its address (default 127.0.0.1)
  --admin-token T    its bearer token, 16 characters at least (better THERMOPOST_ADMIN_TOKEN, which the process list
                     does not show); default: DIR/admin-token, generated with mode 0600 on the first start
  --admin-metrics-open true|false
                     /metrics without the token (default: true on a loopback --admin-host, else false)

Limits (sizes in bytes, durations in seconds), with their defaults:
${Object.entries(defaultBrokerOptions)
  .map(([key, value]) => `  ${flagOf(key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`))} ${String(value)}`)
  .join('\n')}`

/** `thermopost broker`: reads its config file and flags, runs the broker, closes it cleanly on SIGINT / SIGTERM. */
export async function runBrokerCommand(args: string[]): Promise<void> {
  const given = await readCommandConfig(args, brokerConfigSchema, {
    switches,
    extraFlags: { recover: { type: 'boolean', default: false }, ...mosquittoConfFlag }
  })
  if (given === undefined) {
    console.log(brokerUsage)
    return
  }
  const { read, fromConfigFile, notes } = await withMosquittoConf(given)
  const { config } = read
  const { listeners, problems } = resolveListeners(config, fromConfigFile)
  const { cluster, problems: clusterProblems } = resolveCluster(config, listeners[0]?.spec.port ?? 0)
  problems.push(...clusterProblems)
  const bridges = bridgesOf(config, listeners[0]?.spec.port ?? 0, problems)
  if (problems.length > 0) throw read.problems(problems)
  for (const { spec } of listeners) {
    // Checked before the store opens, so a bad certificate file stops start-up with nothing half done.
    if ('tls' in spec) await readTlsContext(spec.tls).catch(asCommandError)
  }

  const logger = createLogger('broker')
  for (const { origin, text } of notes)
    logger.warn({ mosquittoConf: origin === undefined ? undefined : `${origin.file}:${origin.line}` }, text)
  const auth = await configureAuth({ passwordFile: config.password_file, aclFile: config.acl_file }, logger).catch(asCommandError)
  const dataDir = config.data_dir ?? './data'
  const storeKind = cluster !== undefined ? 'redis' : (config.store ?? 'sqlite')
  const redisUrl = cluster?.url ?? config.redis_url
  if (storeKind === 'redis' && redisUrl === undefined)
    throw read.problem('redis_url', 'store redis needs redis_url (--redis-url redis://HOST:PORT/DB)')
  const clusterParts =
    cluster === undefined
      ? undefined
      : await (await import('./cluster/cluster-broker-parts.js')).clusterBrokerParts(cluster, logger).catch((error: Error) => {
          throw new CommandError(error.message)
        })
  const makeStore = async (): Promise<Store> => {
    if (clusterParts !== undefined) return clusterParts.store
    if (storeKind === 'memory') return new MemoryStore()
    // Loaded only when chosen: the Redis client costs a broker that does not use it several megabytes.
    if (storeKind === 'redis')
      return new (await import('./store/redis.js')).RedisStore({ url: redisUrl!, keyPrefix: config.redis_key_prefix, logger })
    return new SqliteStore({ dataDir })
  }
  const options = brokerOptionsOf(config)
  let broker = newBroker(options, await makeStore(), auth.hooks, logger, clusterParts, bridges)
  logger.info({ store: storeKind, dataDir: storeKind === 'sqlite' ? dataDir : undefined, node: cluster?.nodeId }, `auth: ${auth.summary}`)
  const [first, ...rest] = listeners
  try {
    await listenAndLog(broker, first!, logger)
  } catch (error) {
    if (!(error instanceof StoreOpenError)) throw error
    if (read.extra.recover !== true || !error.damaged) {
      const hint = error.damaged ? '\nStart with --recover to move the damaged file aside and salvage what can be read.' : ''
      throw new CommandError(`${error.message}${hint}`)
    }
    const storeFile = (broker.store as SqliteStore).file
    await broker.close().catch(() => {})
    const recovery = await recoverDatabase(storeFile)
    if (recovery.missingTool === true) throw new CommandError(`${error.message}\n${recovery.error ?? ''}`)
    if (recovery.recovered) {
      logger.warn(
        { damaged: recovery.movedTo, method: recovery.method },
        `store was damaged (${error.message}); moved it to ${recovery.movedTo} and salvaged what could be read`
      )
    } else {
      // --recover asked to start whatever happens; the damaged file stays where it was moved, for a closer look.
      logger.warn(
        { damaged: recovery.movedTo, reason: recovery.error },
        `store was damaged (${error.message}) and nothing could be salvaged; moved it to ${recovery.movedTo} and starting empty`
      )
    }
    broker = newBroker(options, await makeStore(), auth.hooks, logger, clusterParts, bridges)
    await listenAndLog(broker, first!, logger)
  }
  for (const listener of rest) {
    await listenAndLog(broker, listener, logger).catch(async (error: unknown) => {
      await broker.close().catch(() => {})
      throw error
    })
  }
  const admin =
    config.admin_port === undefined
      ? undefined
      : // Loaded only when asked for: express and prom-client cost a broker without an admin listener nothing.
        await (await import('./admin/open-admin.js')).openAdmin(broker, config, dataDir, logger).catch(async (error: unknown) => {
          await broker.close().catch(() => {})
          throw error
        })
  const hasTls = listeners.some(({ spec }) => 'tls' in spec)
  serveUntilStopped({ broker, admin, clusterParts, reloadAuth: () => auth.reload(), hasTls, logger })
}

/** The configured bridges, and the name this broker goes by in their loop check; their mistakes join `problems`. */
function bridgesOf(config: BrokerConfig, firstPort: number, problems: ConfigProblem[]): { settings: BridgeSettings[]; node: string } {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-')
  const resolved = resolveBridges(config.bridges, host)
  problems.push(...resolved.problems)
  // Two brokers on one host differ by port.
  return { settings: resolved.bridges, node: `${host}-${firstPort === 0 ? process.pid : firstPort}` }
}

/**
 * Reloads passwords, ACLs and certificates on SIGHUP; closes the admin listener, the broker and the cluster parts on
 * SIGINT / SIGTERM, or when another process took this node's id.
 */
function serveUntilStopped(parts: {
  broker: Broker
  admin: { close(): Promise<void> } | undefined
  clusterParts: ClusterBrokerParts | undefined
  reloadAuth: () => Promise<unknown>
  hasTls: boolean
  logger: Logger
}): void {
  const { broker, admin, clusterParts, logger } = parts
  process.on('SIGHUP', () => {
    parts.reloadAuth().catch(() => {})
    broker.reloadCertificates().then(
      () => {
        if (parts.hasTls) logger.info('TLS certificates reloaded')
      },
      (error: unknown) => logger.error({ err: error }, 'TLS certificates not reloaded: keeping the ones loaded before')
    )
  })
  const close = async (): Promise<void> => {
    await admin?.close()
    await broker.close()
    await clusterParts?.close()
  }
  closeOnSignals(logger, close)
  // The cluster moved on without this run (paused or cut off past its liveness: found dead and recovered, or another
  // process took its id). It stops serving and exits, for its supervisor to start it again as a new member, rather
  // than rejoin in place: everything in memory (sessions, routes, relays, recovery windows, batches on their way)
  // belongs to a member the cluster has already taken apart, and a new process is a member built only from Redis,
  // on the one start-up path every node takes.
  clusterParts?.cluster.membership.onEvicted(() => {
    const abandon = async (): Promise<void> => {
      await broker.abandon()
      await admin?.close()
      await clusterParts.close()
    }
    abandon().finally(() => process.exit(1))
  })
}

/** Opens one listener and logs its URL and who it lets in; a port that cannot be had is a CommandError. */
async function listenAndLog(broker: Broker, { spec }: ResolvedListener, logger: Logger): Promise<void> {
  let address: AddressInfo
  try {
    address = await broker.listen(spec)
  } catch (error) {
    if (error instanceof TlsFileError) throw new CommandError(error.message)
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CommandError(`cannot listen on ${spec.host}:${spec.port}: ${(error as Error).message}`)
    }
    throw error
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const protocol = spec.protocol ?? 'mqtt'
  const path = protocol === 'ws' || protocol === 'wss' ? (spec as { path: string }).path : ''
  const tls = 'tls' in spec ? spec.tls : undefined
  const who = [
    spec.allowAnonymous ? 'anonymous clients allowed' : 'anonymous clients refused',
    tls?.useIdentityAsUsername === true
      ? 'certificate names the user'
      : tls?.requireCertificate === true
        ? 'client certificate required'
        : undefined
  ]
    .filter((part) => part !== undefined)
    .join(', ')
  logger.info(
    { port: address.port, allowAnonymous: spec.allowAnonymous },
    `listening on ${protocol}://${host}:${address.port}${path} (${who})`
  )
  if (spec.allowAnonymous && !isLoopback(spec.host)) {
    logger.warn({ host: spec.host, port: address.port }, `anonymous clients are allowed on ${spec.host}, which other machines can reach`)
  }
}

function asCommandError(error: unknown): never {
  if (
    error instanceof ConfigFileError ||
    error instanceof TlsFileError ||
    error instanceof AclParseError ||
    error instanceof PasswordFileError
  ) {
    throw new CommandError(error.message)
  }
  throw error
}

function newBroker(
  options: Partial<BrokerOptions>,
  store: Store,
  auth: AuthHooks,
  logger: Logger,
  cluster: Pick<ClusterBrokerParts, 'cluster' | 'sessions'> | undefined,
  bridges: { settings: BridgeSettings[]; node: string }
): Broker {
  try {
    return new Broker(options, { logger, store, auth, cluster: cluster?.cluster, sessions: cluster?.sessions, bridges })
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message)
    throw error
  }
}
