import type { Logger } from 'pino'
import { loadApiToken } from '../../common/api-token.js'
import { CommandError } from '../../common/command-errors.js'
import { isLoopback } from '../../common/loopback.js'
import type { Broker } from '../broker.js'
import type { BrokerConfig } from '../config/broker-config-schema.js'
import { type AdminServer, startAdminServer } from './admin-server.js'
import { effectiveConfig } from './effective-config.js'

/**
 * `thermopost broker --admin-port PORT`: opens the admin listener on `admin_host` (default 127.0.0.1). Its token is
 * `admin_token`, else THERMOPOST_ADMIN_TOKEN (which the process list does not show), else `<data_dir>/admin-token`,
 * generated with mode 0600 on the first start (and then logged, that once). `/metrics` needs no token on a loopback
 * address, and needs it elsewhere unless `admin_metrics_open: true`.
 */
export async function openAdmin(broker: Broker, config: BrokerConfig, dataDir: string, logger: Logger): Promise<AdminServer> {
  const host = config.admin_host ?? '127.0.0.1'
  const token = await loadApiToken(dataDir, config.admin_token ?? process.env.THERMOPOST_ADMIN_TOKEN, 'admin-token').catch(
    (error: unknown) => {
      throw new CommandError(`cannot read or write the admin token: ${(error as Error).message}`)
    }
  )
  const metricsOpen = config.admin_metrics_open ?? isLoopback(host)
  let server: AdminServer
  try {
    server = await startAdminServer({
      host,
      port: config.admin_port ?? 0,
      token: token.token,
      metricsOpen,
      broker,
      config: effectiveConfig(config, broker.options),
      logger
    })
  } catch (error) {
    throw new CommandError(`cannot open the admin listener on ${host}:${config.admin_port}: ${(error as Error).message}`)
  }
  const { port } = server.address
  const where = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  const access =
    token.file === undefined
      ? 'token as given'
      : token.generated
        ? `token generated into ${token.file}: ${token.token} (shown this once)`
        : `token from ${token.file}`
  logger.info({ port, metricsOpen }, `admin listening on ${where} (/metrics${metricsOpen ? ' without a token' : ''}, /api; ${access})`)
  if (token.exposed) logger.warn({ file: token.file }, `${token.file} can be read by other users: chmod 600 it`)
  if (metricsOpen && !isLoopback(host)) logger.warn({ host }, `/metrics is open (no token) on ${host}, which other machines can reach`)
  return server
}
