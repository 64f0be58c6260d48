import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import type { Logger } from 'pino'
import { Broker } from './broker.js'
import { configureAuth } from './auth/configure-auth.js'
import { AclParseError } from './auth/acl.js'
import { PasswordFileError } from './auth/passwords.js'
import { CommandError, UsageError } from './command-errors.js'
import { readTlsContext, TlsFileError, type TlsSettings, tlsSettingsProblem } from './listeners/tls.js'
import { createLogger } from './log.js'
import { type BrokerOptions, defaultBrokerOptions } from './options.js'
import { MemoryStore } from './store/memory.js'
import { SqliteStore, StoreOpenError } from './store/sqlite.js'
import { recoverDatabase } from './store/sqlite-recover.js'
import type { Store } from './store/store.js'
import type { AuthHooks } from './auth/hooks.js'

type OptionKey = keyof BrokerOptions

/** Every broker option is also a flag: its name in kebab-case (maxInflight ↔ --max-inflight). */
function flagName (key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)
}

const optionFlags = new Map<string, OptionKey>(
  (Object.keys(defaultBrokerOptions) as OptionKey[]).map((key) => [flagName(key), key])
)

export const brokerUsage = `Usage: thermopost broker [--host HOST] [--port PORT] [--data-dir DIR] [--store sqlite|memory] [--recover] [--<option> VALUE ...]

Runs the MQTT broker in the foreground until SIGINT or SIGTERM.
  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        TCP port (default 1883; 0 picks a free port, and the log line says which)
  --data-dir DIR     where the durable store keeps broker.db (default ./data)
  --store KIND       sqlite (default: sessions, queues and retained messages survive a crash)
                     or memory (nothing survives the process)
  --recover          if broker.db is damaged, move it aside, salvage what can be read, and start
  --password-file F  users and password hashes (thermopost passwd F add USER; mosquitto_passwd files too)
  --acl-file F       who may publish and subscribe where (Mosquitto's acl_file format); default deny
  --allow-anonymous true|false
                     let clients without a user name in; default: only on a loopback address without
                     a password file. SIGHUP re-reads the password and ACL files.

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

Limits (sizes in bytes, durations in seconds), with their defaults:
${[...optionFlags].map(([flag, key]) => `  --${flag} ${String(defaultBrokerOptions[key])}`).join('\n')}`

/** `thermopost broker`: parses its flags, runs the broker, closes it cleanly on SIGINT / SIGTERM. */
export async function runBrokerCommand (args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '1883' },
      'data-dir': { type: 'string', default: './data' },
      store: { type: 'string', default: 'sqlite' },
      recover: { type: 'boolean', default: false },
      'password-file': { type: 'string' },
      'acl-file': { type: 'string' },
      'allow-anonymous': { type: 'string' },
      'tls-port': { type: 'string' },
      'ws-port': { type: 'string' },
      'wss-port': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      cafile: { type: 'string' },
      crlfile: { type: 'string' },
      'require-certificate': { type: 'boolean', default: false },
      'use-identity-as-username': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
      ...Object.fromEntries([...optionFlags.keys()].map((flag) => [flag, { type: 'string' as const }]))
    },
    strict: true
  })
  if (values.help === true) {
    console.log(brokerUsage)
    return
  }
  const port = parsePort(values.port!)
  const tls = tlsListenerFrom(values)
  const wsPort = values['ws-port'] === undefined ? undefined : parsePort(values['ws-port'], '--ws-port')
  const wssPort = values['wss-port'] === undefined ? undefined : parsePort(values['wss-port'], '--wss-port')
  if (tls !== undefined) {
    // Checked before the store opens, so a bad certificate file stops start-up with nothing half done.
    await readTlsContext(tls.settings).catch((error: unknown) => {
      throw error instanceof TlsFileError ? new CommandError(error.message) : error
    })
  }
  if (values.store !== 'sqlite' && values.store !== 'memory') throw new UsageError(`--store must be sqlite or memory, not '${values.store}'`)
  const options = brokerOptionsFrom(values)
  const allowAnonymous = values['allow-anonymous']
  if (allowAnonymous !== undefined && allowAnonymous !== 'true' && allowAnonymous !== 'false') {
    throw new UsageError(`--allow-anonymous must be true or false, not '${allowAnonymous}'`)
  }
  const logger = createLogger('broker')
  let auth
  try {
    auth = await configureAuth({
      passwordFile: values['password-file'],
      aclFile: values['acl-file'],
      allowAnonymous: allowAnonymous === undefined ? undefined : allowAnonymous === 'true',
      host: values.host!
    }, logger)
  } catch (error) {
    if (error instanceof AclParseError || error instanceof PasswordFileError) throw new CommandError(error.message)
    throw error
  }
  const makeStore = (): Store => values.store === 'memory' ? new MemoryStore() : new SqliteStore({ dataDir: values['data-dir']! })
  let broker = newBroker(options, makeStore(), auth.hooks, logger)
  let address: AddressInfo
  try {
    address = await broker.listen({ host: values.host!, port })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CommandError(`cannot listen on ${values.host}:${port}: ${(error as Error).message}`)
    }
    if (!(error instanceof StoreOpenError)) throw error
    const file = (broker.store as SqliteStore).file
    if (!values.recover || !error.damaged) {
      const hint = error.damaged ? '\nStart with --recover to move the damaged file aside and salvage what can be read.' : ''
      throw new CommandError(`${error.message}${hint}`)
    }
    await broker.close().catch(() => {})
    const recovery = await recoverDatabase(file)
    if (recovery.missingTool === true) throw new CommandError(`${error.message}\n${recovery.error ?? ''}`)
    if (recovery.recovered) {
      logger.warn({ damaged: recovery.movedTo, method: recovery.method }, `store was damaged (${error.message}); moved it to ${recovery.movedTo} and salvaged what could be read`)
    } else {
      // --recover asked to start whatever happens; the damaged file stays where it was moved, for a closer look.
      logger.warn({ damaged: recovery.movedTo, reason: recovery.error }, `store was damaged (${error.message}) and nothing could be salvaged; moved it to ${recovery.movedTo} and starting empty`)
    }
    broker = newBroker(options, makeStore(), auth.hooks, logger)
    address = await broker.listen({ host: values.host!, port })
  }
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  logger.info({ port: address.port, store: values.store, auth: auth.summary }, `listening on mqtt://${host}:${address.port}`)
  if (tls?.port !== undefined) {
    let tlsAddress: AddressInfo
    try {
      tlsAddress = await broker.listen({ protocol: 'mqtts', host: values.host!, port: tls.port, tls: tls.settings })
    } catch (error) {
      await broker.close().catch(() => {})
      if (error instanceof TlsFileError) throw new CommandError(error.message)
      throw new CommandError(`cannot listen on ${values.host}:${tls.port}: ${(error as Error).message}`)
    }
    const { requireCertificate, useIdentityAsUsername } = tls.settings
    logger.info({ port: tlsAddress.port, requireCertificate, useIdentityAsUsername }, `listening on mqtts://${host}:${tlsAddress.port}`)
  }
  for (const [protocol, wsListenPort] of [['ws', wsPort], ['wss', wssPort]] as const) {
    if (wsListenPort === undefined) continue
    let wsAddress: AddressInfo
    try {
      wsAddress = await broker.listen(protocol === 'ws'
        ? { protocol, host: values.host!, port: wsListenPort }
        : { protocol, host: values.host!, port: wsListenPort, tls: tls!.settings })
    } catch (error) {
      await broker.close().catch(() => {})
      if (error instanceof TlsFileError) throw new CommandError(error.message)
      throw new CommandError(`cannot listen on ${values.host}:${wsListenPort}: ${(error as Error).message}`)
    }
    logger.info({ port: wsAddress.port }, `listening on ${protocol}://${host}:${wsAddress.port}/mqtt`)
  }
  process.on('SIGHUP', () => {
    auth.reload().catch(() => {})
    broker.reloadCertificates().then(
      () => { if (tls !== undefined) logger.info({ cert: tls.settings.cert }, 'TLS certificates reloaded') },
      (error: unknown) => logger.error({ err: error }, 'TLS certificates not reloaded: keeping the ones loaded before'))
  })

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    logger.info(`${signal}: closing`)
    broker.close().then(() => {
      logger.info('closed')
      process.exit(0)
    }, (error: unknown) => {
      logger.error({ err: error }, 'close failed')
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function newBroker (options: Partial<BrokerOptions>, store: Store, auth: AuthHooks, logger: Logger): Broker {
  try {
    return new Broker(options, { logger, store, auth })
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message)
    throw error
  }
}

function brokerOptionsFrom (values: Record<string, string | boolean | undefined>): Partial<BrokerOptions> {
  const options: Partial<Record<OptionKey, number | boolean>> = {}
  for (const [flag, key] of optionFlags) {
    const text = values[flag]
    if (typeof text !== 'string') continue
    if (typeof defaultBrokerOptions[key] === 'boolean') {
      if (text !== 'true' && text !== 'false') throw new UsageError(`--${flag} must be true or false, not '${text}'`)
      options[key] = text === 'true'
    } else {
      const value = Number(text)
      if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`--${flag} must be a whole number, not '${text}'`)
      options[key] = value
    }
  }
  return options as Partial<BrokerOptions>
}

function parsePort (text: string, flag = '--port'): number {
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${flag} must be a number from 0 to 65535, not '${text}'`)
  return port
}

/**
 * The TLS settings the flags ask for, with the mqtts port (undefined when only --wss-port uses them), or
 * undefined when there is neither --tls-port nor --wss-port (then no TLS flag may be given).
 */
function tlsListenerFrom (values: Record<string, string | boolean | undefined>): { port: number | undefined, settings: TlsSettings } | undefined {
  const text = values['tls-port']
  if (typeof text !== 'string' && typeof values['wss-port'] === 'string') {
    // --wss-port alone: the TLS flags are for it, and there is no mqtts listener.
    if (typeof values.cert !== 'string' || typeof values.key !== 'string') throw new UsageError('--wss-port needs --cert and --key')
  }
  if (typeof text !== 'string' && typeof values['wss-port'] !== 'string') {
    const stray = ['cert', 'key', 'cafile', 'crlfile', 'require-certificate', 'use-identity-as-username']
      .find((flag) => values[flag] !== undefined && values[flag] !== false)
    if (stray !== undefined) throw new UsageError(`--${stray} is for the TLS listener: give --tls-port too`)
    return undefined
  }
  const port = typeof text === 'string' ? parsePort(text, '--tls-port') : undefined
  if (typeof values.cert !== 'string' || typeof values.key !== 'string') throw new UsageError('--tls-port needs --cert and --key')
  const settings: TlsSettings = {
    cert: values.cert,
    key: values.key,
    cafile: values.cafile as string | undefined,
    crlfile: values.crlfile as string | undefined,
    requireCertificate: values['require-certificate'] === true || values['use-identity-as-username'] === true,
    useIdentityAsUsername: values['use-identity-as-username'] === true
  }
  const problem = tlsSettingsProblem(settings)
  if (problem !== undefined) throw new UsageError(problem)
  return { port, settings }
}

