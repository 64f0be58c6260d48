import express, { type Express, type RequestHandler, Router } from 'express'
import type { Logger } from 'pino'
import { SETPOINT_RANGE } from '../../common/contract/command.js'
import type { ServiceMetrics } from '../metrics/service-metrics.js'
import { alertRoutes } from './alert-routes.js'
import { ApiAuth, type ApiAuthOptions } from './api-auth.js'
import { apiErrorHandler, apiNotFound } from './api-errors.js'
import type { ApiLimits } from './api-types.js'
import { authRoutes, requireAuth } from './auth-routes.js'
import { brokerAdminRoutes } from './broker-admin-routes.js'
import { deviceRoutes } from './device-routes.js'
import { jsonBody } from './json-body.js'
import { type LiveEventsOptions, liveEvents } from './live-events.js'
import { metricsRoute } from './metrics-route.js'
import { openRoutes } from './open-routes.js'
import { readingRoutes } from './reading-routes.js'
import { requestTiming } from './request-timing.js'
import type { BrokerAdminDesk, InstanceDesk, ServiceParts } from './service-parts.js'

/** The rules the API checks input against, served so the dashboard's forms check the same ones (`GET /api/limits`). */
const API_LIMITS: ApiLimits = { setpoint: SETPOINT_RANGE }
/** The live event stream, which stays open: not timed as a request. */
const EVENTS_PATH = '/events'

export interface ApiDeps extends ServiceParts {
  auth: ApiAuthOptions
  logger: Logger
  /** The broker's admin API, relayed under `/api/broker/`; absent, those routes are 503 'broker-admin-unavailable'. */
  brokerAdmin?: BrokerAdminDesk
  /** Which instance this is (`GET /api/instance`); absent, that route is 404. */
  instance?: InstanceDesk
  /** The dashboard's routes (the dashboard part's dashboardRouter(), handed in from outside the service), mounted at `/`. */
  dashboard?: RequestHandler
  /** A directory of files served at `/` after the dashboard's routes (the API keeps `/api`). */
  staticDir?: string
  events?: LiveEventsOptions
  /** The clock that ends a series without `to`; Date.now unless a test needs another. */
  now?: () => number
  /** The service's metrics: served at `/metrics`, and told how long each API request took. Absent: no `/metrics`. */
  metrics?: ServiceMetrics
  /** `/metrics` without the token: the command sets it when the service listens on loopback only. */
  metricsOpen?: boolean
}

/**
 * The service's HTTP side: the REST API and the live feed under `/api`, the metrics at `/metrics` and the
 * dashboard at `/` when there are. Only `/api/health` and `/api/instance` (for supervisors and load balancers), `/api/login` and `/api/session` are open; everything else
 * wants the token or a login session (see api-auth.ts), `/metrics` unless `metricsOpen`. Answers under /api are never cached.
 */
export function createApi(deps: ApiDeps): Express {
  const auth = new ApiAuth(deps.auth)
  const api = Router()
  if (deps.metrics !== undefined) {
    const { metrics } = deps
    api.use(requestTiming('/api', EVENTS_PATH, (route, method, status, seconds) => metrics.requestServed(route, method, status, seconds)))
  }
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    next()
  })
  // Bodies are parsed after authentication (login's before), so a stranger's request gets 401 whatever it carries.
  api.use(openRoutes(deps.instance))
  api.use('/login', jsonBody)
  api.use(authRoutes(auth))
  api.use(requireAuth(auth))
  api.use(jsonBody)
  api.use(deviceRoutes(deps.devices, deps.commands))
  api.use(readingRoutes(deps.devices, deps.history, deps.now ?? Date.now))
  api.use(alertRoutes(deps.alerts))
  api.get('/limits', (_req, res) => {
    res.json(API_LIMITS)
  })
  api.get('/broker', (_req, res) => {
    res.json(deps.broker.status())
  })
  api.use(brokerAdminRoutes(deps.brokerAdmin))
  api.get(EVENTS_PATH, liveEvents(deps.live, deps.logger, deps.events))
  api.use(apiNotFound)
  api.use(apiErrorHandler(deps.logger))

  const app = express()
  app.disable('x-powered-by')
  app.use('/api', api)
  if (deps.metrics !== undefined) app.use(metricsRoute(deps.metrics.registry, auth, deps.metricsOpen === true, deps.logger))
  if (deps.dashboard !== undefined) app.use(deps.dashboard)
  if (deps.staticDir !== undefined) app.use(express.static(deps.staticDir))
  return app
}
