import express, { type Express, type RequestHandler, Router } from 'express'
import type { Logger } from 'pino'
import { alertRoutes } from './alert-routes.js'
import { ApiAuth, type ApiAuthOptions } from './api-auth.js'
import { apiErrorHandler, apiNotFound } from './api-errors.js'
import { authRoutes, requireAuth } from './auth-routes.js'
import { deviceRoutes } from './device-routes.js'
import { type LiveEventsOptions, liveEvents } from './live-events.js'
import { readingRoutes } from './reading-routes.js'
import type { ServiceParts } from './service-parts.js'

export interface ApiDeps extends ServiceParts {
  auth: ApiAuthOptions
  logger: Logger
  /** The dashboard's routes (the dashboard part's dashboardRouter(), handed in from outside the service), mounted at `/`. */
  dashboard?: RequestHandler
  /** A directory of files served at `/` after the dashboard's routes (the API keeps `/api`). */
  staticDir?: string
  events?: LiveEventsOptions
  /** The clock that ends a series without `to`; Date.now unless a test needs another. */
  now?: () => number
}

/**
 * The service's HTTP side: the REST API and the live feed under `/api`, and the dashboard at `/` when there
 * is one. Only `/api/health` (for supervisors) and `/api/login` are open; everything else
 * wants the token or a login session (see api-auth.ts). Answers under /api are never cached.
 */
export function createApi(deps: ApiDeps): Express {
  const auth = new ApiAuth(deps.auth)
  const api = Router()
  api.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store')
    res.setHeader('X-Content-Type-Options', 'nosniff')
    next()
  })
  // Only application/json bodies are read: a cross-site form post arrives without one and is refused. Bodies
  // are parsed after authentication (login's before), so a stranger's request gets 401 whatever it carries.
  const json = express.json({ limit: '16kb' })
  api.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })
  api.use('/login', json)
  api.use(authRoutes(auth))
  api.use(requireAuth(auth))
  api.use(json)
  api.use(deviceRoutes(deps.devices, deps.commands))
  api.use(readingRoutes(deps.devices, deps.history, deps.now ?? Date.now))
  api.use(alertRoutes(deps.alerts))
  api.get('/broker', (_req, res) => {
    res.json(deps.broker.status())
  })
  api.get('/events', liveEvents(deps.live, deps.logger, deps.events))
  api.use(apiNotFound)
  api.use(apiErrorHandler(deps.logger))

  const app = express()
  app.disable('x-powered-by')
  app.use('/api', api)
  if (deps.dashboard !== undefined) app.use(deps.dashboard)
  if (deps.staticDir !== undefined) app.use(express.static(deps.staticDir))
  return app
}
