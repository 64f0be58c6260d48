import { Router } from 'express'
import { parseInput } from './parse-input.js'
import { alertsQuery } from './request-schemas.js'
import type { AlertDesk } from './service-parts.js'

/** `/alerts` (newest first, by state and device) and acknowledging one. */
export function alertRoutes(alerts: AlertDesk): Router {
  const router = Router()
  router.get('/alerts', (req, res) => {
    const { state, device } = parseInput(alertsQuery, req.query)
    res.json({ alerts: alerts.list({ ...(state === undefined ? {} : { state }), ...(device === undefined ? {} : { deviceId: device }) }) })
  })
  router.post('/alerts/:id/acknowledge', (req, res) => {
    res.json(alerts.acknowledge(req.params.id))
  })
  return router
}
