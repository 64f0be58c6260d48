import express, { type Express, Router } from 'express'
import type { Logger } from 'pino'
import { apiErrorHandler } from '../api/api-errors.js'
import { openRoutes } from '../api/open-routes.js'
import type { InstanceDesk } from '../api/service-parts.js'
import { ServiceError } from '../service-error.js'

/**
 * What a standby serves on its HTTP port until it takes over: `/api/health` and `/api/instance` (which names
 * the active instance), and 503 'standby' for everything else, the dashboard included. It opens neither the
 * history nor the state database, whose one writer is the active instance.
 */
export function standbyApi(instance: InstanceDesk, logger: Logger): Express {
  const api = Router()
  api.use(openRoutes(instance))
  api.use((_req, _res, next) => {
    const { active } = instance.status()
    const detail =
      active === undefined ? undefined : `this instance is a standby; ${active.host} (pid ${active.pid}) is the active instance`
    next(new ServiceError('standby', detail))
  })
  api.use(apiErrorHandler(logger))
  const app = express()
  app.disable('x-powered-by')
  app.use('/api', api)
  app.use((_req, res) => {
    res.status(503).type('text/plain').send('This thermopost service instance is a standby; the active instance serves the dashboard.\n')
  })
  return app
}
