import { Router } from 'express'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { ApiAuth } from './api-auth.js'
import { apiErrorHandler } from './api-errors.js'
import { requireAuth } from './auth-routes.js'

/**
 * `GET /metrics`: the registry in Prometheus's text format. Open when `open` (the service listens on loopback
 * only); otherwise it wants the API's bearer token (Prometheus: `authorization: { credentials: TOKEN }`), and
 * answers 401 as the API does.
 */
export function metricsRoute(registry: Registry, auth: ApiAuth, open: boolean, logger: Logger): Router {
  const router = Router()
  if (!open) router.use('/metrics', requireAuth(auth))
  router.get('/metrics', async (_req, res) => {
    const text = await registry.metrics()
    res.setHeader('Cache-Control', 'no-store')
    res.type(registry.contentType).send(text)
  })
  router.use('/metrics', apiErrorHandler(logger))
  return router
}
