import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type RequestHandler } from 'express'
import type { Logger } from 'pino'
import { tokenMatcher } from '../../common/api-token.js'
import { AdminError, adminErrorHandler, adminNotFound } from './admin-error.js'
import { type AdminBroker, adminRoutes } from './admin-routes.js'
import { brokerMetrics, type MetricsSource } from './broker-metrics.js'

export interface AdminServerOptions {
  host: string
  /** 0 picks a free port. */
  port: number
  /** The bearer token of `/api` (and of `/metrics` unless it is open). */
  token: string
  /** `/metrics` answers without the token. */
  metricsOpen: boolean
  broker: AdminBroker & MetricsSource
  /** What `GET /api/config` answers: the effective configuration, secrets redacted (effective-config.ts). */
  config: Readonly<Record<string, unknown>>
  logger: Logger
}

export interface AdminServer {
  readonly address: AddressInfo
  close(): Promise<void>
}

/**
 * The broker's admin HTTP listener: `GET /metrics` (Prometheus text format) and the admin API under `/api`, both
 * behind `Authorization: Bearer <token>`, `/metrics` only unless `metricsOpen`. Express, as the service's API, for
 * the same routing, path parameters and error middleware; loaded only by a broker that opens this listener.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { broker, logger } = options
  const registry = brokerMetrics(broker)
  const requireToken = bearerToken(options.token)
  const app = express()
  app.disable('x-powered-by')
  const metricsAccess: RequestHandler = options.metricsOpen ? (_req, _res, next) => next() : requireToken
  app.get('/metrics', metricsAccess, async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType)
    res.send(await registry.metrics())
  })
  const api = express.Router()
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    next()
  })
  api.use(requireToken)
  api.use(adminRoutes(broker, options.config))
  app.use('/api', api)
  app.use(adminNotFound)
  app.use(adminErrorHandler(logger))

  const server: Server = createServer(app)
  server.listen(options.port, options.host)
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))])
  return {
    address: server.address() as AddressInfo,
    close: async () => {
      const closed = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closed
    }
  }
}

/** Lets through a request whose `Authorization` header carries the token; 401 for any other. */
function bearerToken(token: string): RequestHandler {
  const matches = tokenMatcher(token)
  return (req, _res, next) => {
    const bearer = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')
    if (bearer !== null && matches(bearer[1]!)) next()
    else next(new AdminError('unauthorized'))
  }
}
